//! Compiles Petrel's own `apache.rocketmq.v2` protocol files (top-level `proto/`) with protox, a
//! pure-Rust protobuf compiler, so building needs no `protoc`; then generates the prost messages
//! and the tonic server and client with tonic-prost-build. The encoded descriptor set is written
//! next to the generated code for reflection and tests.

use std::error::Error;
use std::path::PathBuf;

/// Files handed to the compiler, relative to the include root. The names match the ones the
/// official clients compile, which only matters for reflection.
const PROTOS: [&str; 2] = [
    "apache/rocketmq/v2/definition.proto",
    "apache/rocketmq/v2/service.proto",
];

fn main() -> Result<(), Box<dyn Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let include = manifest_dir.join("../../proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    for proto in PROTOS {
        println!("cargo:rerun-if-changed={}", include.join(proto).display());
    }

    // `compile` includes the imported google.protobuf files (protox ships them), so the set is
    // self-contained for reflection.
    let fds = protox::compile(PROTOS, [&include])?;
    std::fs::write(
        out_dir.join("apache.rocketmq.v2.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;

    tonic_prost_build::configure()
        .out_dir(&out_dir)
        .build_server(true)
        .build_client(true)
        // Keep the generated code free of tonic's `transport` feature: callers build their own
        // channel and use `MessagingServiceClient::new`.
        .build_transport(false)
        // Message bodies travel as `bytes::Bytes`, shared with the store without copying.
        .bytes(".apache.rocketmq.v2.Message.body")
        // Deterministic encoding and debug output for property maps.
        .btree_map(".")
        // google.protobuf.Duration/Timestamp stay `prost_types` (prost-build's built-in extern
        // path for `.google.protobuf`, active while well-known types are not compiled).
        .compile_well_known_types(false)
        .compile_fds(fds)?;

    Ok(())
}
