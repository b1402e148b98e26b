//! The compiled descriptor checked against a second, independent transcription of the tables
//! in `specs/rocketmq-grpc.md` (§1 methods, §2 enums, §3–§4 messages): every message, field
//! number, type, label, oneof, enum value and RPC, plus the full gRPC path of every method.

use std::collections::{BTreeMap, BTreeSet};

use petrel_proto::v2;
use prost::Message as _;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    FileDescriptorSet,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const PACKAGE: &str = "apache.rocketmq.v2";

// ----- The spec, transcribed a second time ------------------------------------------------------
//
// Same notation as the spec (§3, §4): `#n name: type`, `opt`, `rep`, `map<k,v>`, `oneof x { … }`,
// `Dur`/`Ts` for google.protobuf.Duration/Timestamp. Annotations in the spec's parentheses are
// dropped; fields the spec marks "newest apis only" are included (we declare them).

const SPEC_MESSAGES: &[(&str, &str)] = &[
    // definition.proto (§3)
    ("Resource", "#1 resource_namespace: string; #2 name: string"),
    (
        "FilterExpression",
        "#1 type: FilterType; #2 expression: string",
    ),
    (
        "RetryPolicy",
        "#1 max_attempts: int32; oneof strategy { #2 exponential_backoff: ExponentialBackoff; \
         #3 customized_backoff: CustomizedBackoff }",
    ),
    (
        "ExponentialBackoff",
        "#1 initial: Dur; #2 max: Dur; #3 multiplier: float",
    ),
    ("CustomizedBackoff", "#1 next: rep Dur"),
    (
        "SubscriptionEntry",
        "#1 topic: Resource; #2 expression: FilterExpression",
    ),
    ("Address", "#1 host: string; #2 port: int32"),
    (
        "Endpoints",
        "#1 scheme: AddressScheme; #2 addresses: rep Address",
    ),
    (
        "Broker",
        "#1 name: string; #2 id: int32; #3 endpoints: Endpoints",
    ),
    (
        "MessageQueue",
        "#1 topic: Resource; #2 id: int32; #3 permission: Permission; #4 broker: Broker; \
         #5 accept_message_types: rep MessageType",
    ),
    ("Digest", "#1 type: DigestType; #2 checksum: string"),
    ("DeadLetterQueue", "#1 topic: string; #2 message_id: string"),
    (
        "Message",
        "#1 topic: Resource; #2 user_properties: map<string,string>; \
         #3 system_properties: SystemProperties; #4 body: bytes",
    ),
    ("Assignment", "#1 message_queue: MessageQueue"),
    ("Status", "#1 code: Code; #2 message: string"),
    (
        "UA",
        "#1 language: Language; #2 version: string; #3 platform: string; #4 hostname: string",
    ),
    (
        "Settings",
        "#1 client_type: opt ClientType; #2 access_point: opt Endpoints; \
         #3 backoff_policy: opt RetryPolicy; #4 request_timeout: opt Dur; \
         oneof pub_sub { #5 publishing: Publishing; #6 subscription: Subscription }; \
         #7 user_agent: UA; #8 metric: Metric; #9 client_properties: map<string,string>",
    ),
    (
        "Publishing",
        "#1 topics: rep Resource; #2 max_body_size: int32; #3 validate_message_type: bool",
    ),
    (
        "Subscription",
        "#1 group: opt Resource; #2 subscriptions: rep SubscriptionEntry; #3 fifo: opt bool; \
         #4 receive_batch_size: opt int32; #5 long_polling_timeout: opt Dur; \
         #6 lite_subscription_quota: opt int32; #7 max_lite_topic_size: opt int32",
    ),
    ("Metric", "#1 on: bool; #2 endpoints: opt Endpoints"),
    (
        "OffsetOption",
        "oneof offset_type { #1 policy: OffsetOption.Policy; #2 offset: int64; \
         #3 tail_n: int64; #4 timestamp: int64 }",
    ),
    (
        "SystemProperties",
        "#1 tag: opt string; #2 keys: rep string; #3 message_id: string; \
         #4 body_digest: Digest; #5 body_encoding: Encoding; #6 message_type: MessageType; \
         #7 born_timestamp: Ts; #8 born_host: string; #9 store_timestamp: opt Ts; \
         #10 store_host: string; #11 delivery_timestamp: opt Ts; \
         #12 receipt_handle: opt string; #13 queue_id: int32; #14 queue_offset: opt int64; \
         #15 invisible_duration: opt Dur; #16 delivery_attempt: opt int32; \
         #17 message_group: opt string; #18 trace_context: opt string; \
         #19 orphaned_transaction_recovery_duration: opt Dur; \
         #20 dead_letter_queue: opt DeadLetterQueue; #21 lite_topic: opt string; \
         #22 priority: opt int32",
    ),
    // service.proto (§4)
    (
        "QueryRouteRequest",
        "#1 topic: Resource; #2 endpoints: Endpoints",
    ),
    (
        "QueryRouteResponse",
        "#1 status: Status; #2 message_queues: rep MessageQueue",
    ),
    ("SendMessageRequest", "#1 messages: rep Message"),
    (
        "SendResultEntry",
        "#1 status: Status; #2 message_id: string; #3 transaction_id: string; \
         #4 offset: int64; #5 recall_handle: string",
    ),
    (
        "SendMessageResponse",
        "#1 status: Status; #2 entries: rep SendResultEntry",
    ),
    (
        "QueryAssignmentRequest",
        "#1 topic: Resource; #2 group: Resource; #3 endpoints: Endpoints",
    ),
    (
        "QueryAssignmentResponse",
        "#1 status: Status; #2 assignments: rep Assignment",
    ),
    (
        "ReceiveMessageRequest",
        "#1 group: Resource; #2 message_queue: MessageQueue; \
         #3 filter_expression: FilterExpression; #4 batch_size: int32; \
         #5 invisible_duration: opt Dur; #6 auto_renew: bool; \
         #7 long_polling_timeout: opt Dur; #8 attempt_id: opt string",
    ),
    (
        "ReceiveMessageResponse",
        "oneof content { #1 status: Status; #2 message: Message; #3 delivery_timestamp: Ts }",
    ),
    (
        "AckMessageEntry",
        "#1 message_id: string; #2 receipt_handle: string; #3 lite_topic: opt string",
    ),
    (
        "AckMessageRequest",
        "#1 group: Resource; #2 topic: Resource; #3 entries: rep AckMessageEntry",
    ),
    (
        "AckMessageResultEntry",
        "#1 message_id: string; #2 receipt_handle: string; #3 status: Status",
    ),
    (
        "AckMessageResponse",
        "#1 status: Status; #2 entries: rep AckMessageResultEntry",
    ),
    (
        "ForwardMessageToDeadLetterQueueRequest",
        "#1 group: Resource; #2 topic: Resource; #3 receipt_handle: string; \
         #4 message_id: string; #5 delivery_attempt: int32; #6 max_delivery_attempts: int32; \
         #7 lite_topic: opt string",
    ),
    (
        "ForwardMessageToDeadLetterQueueResponse",
        "#1 status: Status",
    ),
    (
        "HeartbeatRequest",
        "#1 group: opt Resource; #2 client_type: ClientType",
    ),
    ("HeartbeatResponse", "#1 status: Status"),
    (
        "EndTransactionRequest",
        "#1 topic: Resource; #2 message_id: string; #3 transaction_id: string; \
         #4 resolution: TransactionResolution; #5 source: TransactionSource; \
         #6 trace_context: string",
    ),
    ("EndTransactionResponse", "#1 status: Status"),
    ("NotifyClientTerminationRequest", "#1 group: opt Resource"),
    ("NotifyClientTerminationResponse", "#1 status: Status"),
    (
        "ChangeInvisibleDurationRequest",
        "#1 group: Resource; #2 topic: Resource; #3 receipt_handle: string; \
         #4 invisible_duration: Dur; #5 message_id: string; #6 lite_topic: opt string; \
         #7 suspend: opt bool",
    ),
    (
        "ChangeInvisibleDurationResponse",
        "#1 status: Status; #2 receipt_handle: string",
    ),
    (
        "PullMessageRequest",
        "#1 group: Resource; #2 message_queue: MessageQueue; #3 offset: int64; \
         #4 batch_size: int32; #5 filter_expression: FilterExpression; \
         #6 long_polling_timeout: Dur",
    ),
    (
        "PullMessageResponse",
        "oneof content { #1 status: Status; #2 message: Message; #3 next_offset: int64 }",
    ),
    (
        "UpdateOffsetRequest",
        "#1 group: Resource; #2 message_queue: MessageQueue; #3 offset: int64",
    ),
    ("UpdateOffsetResponse", "#1 status: Status"),
    (
        "GetOffsetRequest",
        "#1 group: Resource; #2 message_queue: MessageQueue",
    ),
    ("GetOffsetResponse", "#1 status: Status; #2 offset: int64"),
    (
        "QueryOffsetRequest",
        "#1 message_queue: MessageQueue; #2 query_offset_policy: QueryOffsetPolicy; \
         #3 timestamp: opt Ts",
    ),
    ("QueryOffsetResponse", "#1 status: Status; #2 offset: int64"),
    (
        "RecallMessageRequest",
        "#1 topic: Resource; #2 recall_handle: string",
    ),
    (
        "RecallMessageResponse",
        "#1 status: Status; #2 message_id: string",
    ),
    (
        "SyncLiteSubscriptionRequest",
        "#1 action: LiteSubscriptionAction; #2 topic: Resource; #3 group: Resource; \
         #4 lite_topic_set: rep string; #5 version: opt int64; \
         #6 offset_option: opt OffsetOption",
    ),
    ("SyncLiteSubscriptionResponse", "#1 status: Status"),
    // Telemetry (§4)
    (
        "TelemetryCommand",
        "#1 status: opt Status; oneof command { #2 settings: Settings; \
         #3 thread_stack_trace: ThreadStackTrace; #4 verify_message_result: VerifyMessageResult; \
         #5 recover_orphaned_transaction_command: RecoverOrphanedTransactionCommand; \
         #6 print_thread_stack_trace_command: PrintThreadStackTraceCommand; \
         #7 verify_message_command: VerifyMessageCommand; \
         #8 reconnect_endpoints_command: ReconnectEndpointsCommand; \
         #9 notify_unsubscribe_lite_command: NotifyUnsubscribeLiteCommand }",
    ),
    (
        "RecoverOrphanedTransactionCommand",
        "#1 message: Message; #2 transaction_id: string",
    ),
    ("PrintThreadStackTraceCommand", "#1 nonce: string"),
    (
        "ThreadStackTrace",
        "#1 nonce: string; #2 thread_stack_trace: opt string",
    ),
    (
        "VerifyMessageCommand",
        "#1 nonce: string; #2 message: Message",
    ),
    ("VerifyMessageResult", "#1 nonce: string"),
    ("ReconnectEndpointsCommand", "#1 nonce: string"),
    ("NotifyUnsubscribeLiteCommand", "#1 lite_topic: string"),
];

const SPEC_ENUMS: &[(&str, &str)] = &[
    (
        "Code",
        "CODE_UNSPECIFIED=0; OK=20000; MULTIPLE_RESULTS=30000; BAD_REQUEST=40000; \
         ILLEGAL_ACCESS_POINT=40001; ILLEGAL_TOPIC=40002; ILLEGAL_CONSUMER_GROUP=40003; \
         ILLEGAL_MESSAGE_TAG=40004; ILLEGAL_MESSAGE_KEY=40005; ILLEGAL_MESSAGE_GROUP=40006; \
         ILLEGAL_MESSAGE_PROPERTY_KEY=40007; INVALID_TRANSACTION_ID=40008; \
         ILLEGAL_MESSAGE_ID=40009; ILLEGAL_FILTER_EXPRESSION=40010; ILLEGAL_INVISIBLE_TIME=40011; \
         ILLEGAL_DELIVERY_TIME=40012; INVALID_RECEIPT_HANDLE=40013; \
         MESSAGE_PROPERTY_CONFLICT_WITH_TYPE=40014; UNRECOGNIZED_CLIENT_TYPE=40015; \
         MESSAGE_CORRUPTED=40016; CLIENT_ID_REQUIRED=40017; ILLEGAL_POLLING_TIME=40018; \
         ILLEGAL_OFFSET=40019; ILLEGAL_LITE_TOPIC=40020; INVALID_CLIENT_PROPERTIES=40021; \
         UNAUTHORIZED=40100; PAYMENT_REQUIRED=40200; FORBIDDEN=40300; NOT_FOUND=40400; \
         MESSAGE_NOT_FOUND=40401; TOPIC_NOT_FOUND=40402; CONSUMER_GROUP_NOT_FOUND=40403; \
         OFFSET_NOT_FOUND=40404; REQUEST_TIMEOUT=40800; PAYLOAD_TOO_LARGE=41300; \
         MESSAGE_BODY_TOO_LARGE=41301; MESSAGE_BODY_EMPTY=41302; PRECONDITION_FAILED=42800; \
         TOO_MANY_REQUESTS=42900; LITE_TOPIC_QUOTA_EXCEEDED=42901; \
         LITE_SUBSCRIPTION_QUOTA_EXCEEDED=42902; REQUEST_HEADER_FIELDS_TOO_LARGE=43100; \
         MESSAGE_PROPERTIES_TOO_LARGE=43101; INTERNAL_ERROR=50000; INTERNAL_SERVER_ERROR=50001; \
         HA_NOT_AVAILABLE=50002; NOT_IMPLEMENTED=50100; PROXY_TIMEOUT=50400; \
         MASTER_PERSISTENCE_TIMEOUT=50401; SLAVE_PERSISTENCE_TIMEOUT=50402; UNSUPPORTED=50500; \
         VERSION_UNSUPPORTED=50501; VERIFY_FIFO_MESSAGE_UNSUPPORTED=50502; \
         FAILED_TO_CONSUME_MESSAGE=60000",
    ),
    (
        "TransactionResolution",
        "TRANSACTION_RESOLUTION_UNSPECIFIED=0; COMMIT=1; ROLLBACK=2",
    ),
    (
        "TransactionSource",
        "SOURCE_UNSPECIFIED=0; SOURCE_CLIENT=1; SOURCE_SERVER_CHECK=2",
    ),
    (
        "Permission",
        "PERMISSION_UNSPECIFIED=0; NONE=1; READ=2; WRITE=3; READ_WRITE=4",
    ),
    ("FilterType", "FILTER_TYPE_UNSPECIFIED=0; TAG=1; SQL=2"),
    (
        "AddressScheme",
        "ADDRESS_SCHEME_UNSPECIFIED=0; IPv4=1; IPv6=2; DOMAIN_NAME=3",
    ),
    (
        "MessageType",
        "MESSAGE_TYPE_UNSPECIFIED=0; NORMAL=1; FIFO=2; DELAY=3; TRANSACTION=4; LITE=5; \
         PRIORITY=6",
    ),
    (
        "DigestType",
        "DIGEST_TYPE_UNSPECIFIED=0; CRC32=1; MD5=2; SHA1=3",
    ),
    (
        "ClientType",
        "CLIENT_TYPE_UNSPECIFIED=0; PRODUCER=1; PUSH_CONSUMER=2; SIMPLE_CONSUMER=3; \
         PULL_CONSUMER=4; LITE_PUSH_CONSUMER=5; LITE_SIMPLE_CONSUMER=6",
    ),
    ("Encoding", "ENCODING_UNSPECIFIED=0; IDENTITY=1; GZIP=2"),
    (
        "Language",
        "LANGUAGE_UNSPECIFIED=0; JAVA=1; CPP=2; DOT_NET=3; GOLANG=4; RUST=5; PYTHON=6; PHP=7; \
         NODE_JS=8; RUBY=9; OBJECTIVE_C=10; DART=11; KOTLIN=12",
    ),
    ("QueryOffsetPolicy", "BEGINNING=0; END=1; TIMESTAMP=2"),
    (
        "LiteSubscriptionAction",
        "PARTIAL_ADD=0; PARTIAL_REMOVE=1; COMPLETE_ADD=2; COMPLETE_REMOVE=3",
    ),
    ("OffsetOption.Policy", "LAST=0; MIN=1; MAX=2"),
];

/// §1: method, request, response; `stream` marks a streaming side.
const SPEC_METHODS: &[&str] = &[
    "QueryRoute(QueryRouteRequest) -> QueryRouteResponse",
    "Heartbeat(HeartbeatRequest) -> HeartbeatResponse",
    "SendMessage(SendMessageRequest) -> SendMessageResponse",
    "QueryAssignment(QueryAssignmentRequest) -> QueryAssignmentResponse",
    "ReceiveMessage(ReceiveMessageRequest) -> stream ReceiveMessageResponse",
    "AckMessage(AckMessageRequest) -> AckMessageResponse",
    "ForwardMessageToDeadLetterQueue(ForwardMessageToDeadLetterQueueRequest) -> \
     ForwardMessageToDeadLetterQueueResponse",
    "PullMessage(PullMessageRequest) -> stream PullMessageResponse",
    "UpdateOffset(UpdateOffsetRequest) -> UpdateOffsetResponse",
    "GetOffset(GetOffsetRequest) -> GetOffsetResponse",
    "QueryOffset(QueryOffsetRequest) -> QueryOffsetResponse",
    "EndTransaction(EndTransactionRequest) -> EndTransactionResponse",
    "Telemetry(stream TelemetryCommand) -> stream TelemetryCommand",
    "NotifyClientTermination(NotifyClientTerminationRequest) -> NotifyClientTerminationResponse",
    "ChangeInvisibleDuration(ChangeInvisibleDurationRequest) -> ChangeInvisibleDurationResponse",
    "RecallMessage(RecallMessageRequest) -> RecallMessageResponse",
    "SyncLiteSubscription(SyncLiteSubscriptionRequest) -> SyncLiteSubscriptionResponse",
];

// ----- Descriptor rendering in the spec's notation ------------------------------------------

fn descriptor_set() -> Result<FileDescriptorSet, prost::DecodeError> {
    FileDescriptorSet::decode(petrel_proto::FILE_DESCRIPTOR_SET)
}

fn our_files(set: &FileDescriptorSet) -> Vec<&FileDescriptorProto> {
    set.file.iter().filter(|f| f.package() == PACKAGE).collect()
}

/// Short name of a referenced type: `Dur`/`Ts` for the well-known types, otherwise the name
/// relative to the package (`OffsetOption.Policy`).
fn short_type(type_name: &str) -> String {
    match type_name {
        ".google.protobuf.Duration" => "Dur".to_owned(),
        ".google.protobuf.Timestamp" => "Ts".to_owned(),
        other => other
            .strip_prefix(".apache.rocketmq.v2.")
            .unwrap_or(other)
            .to_owned(),
    }
}

fn scalar_type(field: &FieldDescriptorProto) -> String {
    match field.r#type() {
        Type::Message | Type::Enum | Type::Group => short_type(field.type_name()),
        Type::String => "string".to_owned(),
        Type::Bytes => "bytes".to_owned(),
        Type::Bool => "bool".to_owned(),
        Type::Int32 => "int32".to_owned(),
        Type::Int64 => "int64".to_owned(),
        Type::Uint32 => "uint32".to_owned(),
        Type::Uint64 => "uint64".to_owned(),
        Type::Sint32 => "sint32".to_owned(),
        Type::Sint64 => "sint64".to_owned(),
        Type::Fixed32 => "fixed32".to_owned(),
        Type::Fixed64 => "fixed64".to_owned(),
        Type::Sfixed32 => "sfixed32".to_owned(),
        Type::Sfixed64 => "sfixed64".to_owned(),
        Type::Float => "float".to_owned(),
        Type::Double => "double".to_owned(),
    }
}

fn render_field(message: &DescriptorProto, field: &FieldDescriptorProto) -> String {
    let map_entry = (field.label() == Label::Repeated && field.r#type() == Type::Message)
        .then(|| {
            let entry_name = field.type_name().rsplit('.').next().unwrap_or_default();
            message.nested_type.iter().find(|nested| {
                nested.name() == entry_name
                    && nested.options.as_ref().is_some_and(|o| o.map_entry())
            })
        })
        .flatten();
    let ty = if let Some(entry) = map_entry {
        let kv: Vec<String> = entry.field.iter().map(scalar_type).collect();
        format!("map<{}>", kv.join(","))
    } else if field.label() == Label::Repeated {
        format!("rep {}", scalar_type(field))
    } else if field.proto3_optional() {
        format!("opt {}", scalar_type(field))
    } else {
        scalar_type(field)
    };
    format!("#{} {}: {}", field.number(), field.name(), ty)
}

/// Renders a message as `#1 a: T; oneof x { #2 b: U; #3 c: V }; …`, a oneof standing where its
/// first member is declared.
fn render_message(message: &DescriptorProto) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut rendered_oneofs = BTreeSet::new();
    for field in &message.field {
        match field.oneof_index {
            Some(index) if !field.proto3_optional() => {
                if !rendered_oneofs.insert(index) {
                    continue;
                }
                let members: Vec<String> = message
                    .field
                    .iter()
                    .filter(|f| f.oneof_index == Some(index) && !f.proto3_optional())
                    .map(|f| render_field(message, f))
                    .collect();
                let name = usize::try_from(index)
                    .ok()
                    .and_then(|i| message.oneof_decl.get(i))
                    .map(|o| o.name().to_owned())
                    .unwrap_or_default();
                parts.push(format!("oneof {name} {{ {} }}", members.join("; ")));
            }
            _ => parts.push(render_field(message, field)),
        }
    }
    parts.join("; ")
}

fn render_enum(e: &EnumDescriptorProto) -> String {
    e.value
        .iter()
        .map(|v| format!("{}={}", v.name(), v.number()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Collapses the whitespace that line continuations leave in the tables.
fn normalise(spec: &str) -> String {
    spec.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ----- Descriptor tests ---------------------------------------------------------------------

#[test]
fn descriptor_files_use_the_client_file_names_and_package() -> TestResult {
    let set = descriptor_set()?;
    let names: BTreeSet<&str> = our_files(&set).iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "apache/rocketmq/v2/definition.proto",
            "apache/rocketmq/v2/service.proto"
        ])
    );
    for file in our_files(&set) {
        assert_eq!(file.syntax(), "proto3", "{}", file.name());
    }
    // The well-known types travel with the set, so reflection needs nothing else.
    let all: BTreeSet<&str> = set.file.iter().map(|f| f.name()).collect();
    assert!(all.contains("google/protobuf/duration.proto"));
    assert!(all.contains("google/protobuf/timestamp.proto"));
    Ok(())
}

#[test]
fn every_message_matches_the_spec_tables() -> TestResult {
    let set = descriptor_set()?;
    let compiled: BTreeMap<&str, String> = our_files(&set)
        .iter()
        .flat_map(|f| f.message_type.iter())
        .map(|m| (m.name(), render_message(m)))
        .collect();
    let spec: BTreeMap<&str, String> = SPEC_MESSAGES
        .iter()
        .map(|(name, fields)| (*name, normalise(fields)))
        .collect();
    assert_eq!(
        spec.len(),
        SPEC_MESSAGES.len(),
        "duplicate name in SPEC_MESSAGES"
    );
    for (name, expected) in &spec {
        assert_eq!(
            compiled.get(name),
            Some(expected),
            "message {name} differs from the spec"
        );
    }
    let extra: Vec<&&str> = compiled.keys().filter(|n| !spec.contains_key(*n)).collect();
    assert!(extra.is_empty(), "messages not in the spec: {extra:?}");
    Ok(())
}

#[test]
fn every_enum_matches_the_spec_list() -> TestResult {
    let set = descriptor_set()?;
    let mut compiled: BTreeMap<String, String> = BTreeMap::new();
    for file in our_files(&set) {
        for e in &file.enum_type {
            compiled.insert(e.name().to_owned(), render_enum(e));
        }
        for m in &file.message_type {
            for e in &m.enum_type {
                compiled.insert(format!("{}.{}", m.name(), e.name()), render_enum(e));
            }
        }
    }
    let spec: BTreeMap<String, String> = SPEC_ENUMS
        .iter()
        .map(|(name, values)| ((*name).to_owned(), normalise(values)))
        .collect();
    assert_eq!(compiled, spec);
    Ok(())
}

#[test]
fn service_descriptor_lists_every_rpc_by_its_full_grpc_path() -> TestResult {
    let set = descriptor_set()?;
    let services: Vec<_> = our_files(&set)
        .iter()
        .flat_map(|f| f.service.iter())
        .collect();
    assert_eq!(services.len(), 1);
    let service = services[0];
    assert_eq!(
        format!("{PACKAGE}.{}", service.name()),
        petrel_proto::SERVICE_NAME
    );
    let side = |streaming: bool, ty: &str| {
        let ty = short_type(ty);
        if streaming {
            format!("stream {ty}")
        } else {
            ty
        }
    };
    let compiled: Vec<String> = service
        .method
        .iter()
        .map(|m| {
            format!(
                "{}({}) -> {}",
                m.name(),
                side(m.client_streaming(), m.input_type()),
                side(m.server_streaming(), m.output_type())
            )
        })
        .collect();
    let spec: Vec<String> = SPEC_METHODS.iter().map(|m| normalise(m)).collect();
    assert_eq!(compiled, spec);

    let paths: Vec<String> = service
        .method
        .iter()
        .map(|m| format!("/{}/{}", petrel_proto::SERVICE_NAME, m.name()))
        .collect();
    let expected = [
        "/apache.rocketmq.v2.MessagingService/QueryRoute",
        "/apache.rocketmq.v2.MessagingService/Heartbeat",
        "/apache.rocketmq.v2.MessagingService/SendMessage",
        "/apache.rocketmq.v2.MessagingService/QueryAssignment",
        "/apache.rocketmq.v2.MessagingService/ReceiveMessage",
        "/apache.rocketmq.v2.MessagingService/AckMessage",
        "/apache.rocketmq.v2.MessagingService/ForwardMessageToDeadLetterQueue",
        "/apache.rocketmq.v2.MessagingService/PullMessage",
        "/apache.rocketmq.v2.MessagingService/UpdateOffset",
        "/apache.rocketmq.v2.MessagingService/GetOffset",
        "/apache.rocketmq.v2.MessagingService/QueryOffset",
        "/apache.rocketmq.v2.MessagingService/EndTransaction",
        "/apache.rocketmq.v2.MessagingService/Telemetry",
        "/apache.rocketmq.v2.MessagingService/NotifyClientTermination",
        "/apache.rocketmq.v2.MessagingService/ChangeInvisibleDuration",
        "/apache.rocketmq.v2.MessagingService/RecallMessage",
        "/apache.rocketmq.v2.MessagingService/SyncLiteSubscription",
    ];
    assert_eq!(paths, expected);
    Ok(())
}

#[test]
fn generated_server_names_the_spec_service() {
    use tonic::server::NamedService;
    type Server = v2::messaging_service_server::MessagingServiceServer<()>;
    assert_eq!(
        <Server as NamedService>::NAME,
        "apache.rocketmq.v2.MessagingService"
    );
}
