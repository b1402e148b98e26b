#!/usr/bin/env node
// Petrel end-to-end test client: drives the official RocketMQ 5 Node.js SDK
// (npm `rocketmq-client-nodejs` 1.0.8, unmodified) with the common command-line contract of
// tests/clients/README.md.
//
// stdout carries only JSON lines (one event each); the SDK's warnings and errors go to stderr
// (all of its log with PETREL_CLIENT_VERBOSE=1). Exit codes: 0 done, 2 client error,
// 3 consume timeout or half messages left unchecked (--linger-secs), 4 overall deadline
// (--deadline-secs) exceeded, 64 bad usage.
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Producer, SimpleConsumer, PushConsumer, FilterExpression, ConsumeResult } =
  require('rocketmq-client-nodejs');
// The SDK's public API takes these enums but does not re-export them; they come from the
// generated protobuf module the package ships (and uses itself).
const { FilterType, TransactionResolution } =
  require('rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb');

const EXIT = { OK: 0, CLIENT_ERROR: 2, TIMEOUT: 3, DEADLINE: 4, USAGE: 64 };
const TRANSACTION_MODES = ['commit', 'rollback', 'check-commit', 'check-rollback'];
const CHECK_MODES = ['check-commit', 'check-rollback'];
// After the last check the SDK still has to send its EndTransaction; give it this long.
const END_TRANSACTION_GRACE_MS = 1000;
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

function emit(event, fields) {
  process.stdout.write(JSON.stringify({ event, ...fields }) + '\n');
}

// Leave only after stdout is flushed; the SDK's timers and grpc channels would keep the
// process alive otherwise.
function finish(code) {
  process.stdout.write('', () => process.exit(code));
}

// The last few errors the SDK logged: push consumers only log their RPC failures
// (e.g. an UNAUTHORIZED receive), so error events carry them for the tests.
const sdkErrors = [];
// An SDK error naming one of these is a refusal: push consumers retry it forever, so the push
// mode stops on it (exit 2) instead of waiting for the timeout.
const REFUSED = /\b(40100|40300|UNAUTHORIZED|FORBIDDEN)\b|Unauthorized|Forbidden/;
let onRefused = () => {};
const verbose = process.env.PETREL_CLIENT_VERBOSE === '1';
function fmt(args) {
  let i = 1;
  const text = String(args[0]).replace(/%[sdjo]/g, () => {
    const a = args[i++];
    return a instanceof Error ? String(a) : typeof a === 'object' ? JSON.stringify(a) : String(a);
  });
  return [text, ...args.slice(i).map(String)].join(' ');
}
// Passing `logger` is the SDK's documented option; its default writes to
// $HOME/logs/rocketmq/rocketmq_client_nodejs.log and may print to stdout.
const logger = {
  info: (...a) => { if (verbose) process.stderr.write(`[rocketmq-client-nodejs] INFO ${fmt(a)}\n`); },
  debug: (...a) => { if (verbose) process.stderr.write(`[rocketmq-client-nodejs] DEBUG ${fmt(a)}\n`); },
  warn: (...a) => process.stderr.write(`[rocketmq-client-nodejs] WARN ${fmt(a)}\n`),
  error: (...a) => {
    const line = fmt(a);
    process.stderr.write(`[rocketmq-client-nodejs] ERROR ${line}\n`);
    sdkErrors.push(line);
    sdkErrors.splice(0, sdkErrors.length - 5);
    if (REFUSED.test(line)) onRefused();
  },
};

// Class name, numeric code and text of an SDK error, following `cause` (startup wraps the
// real ClientException in a plain Error).
function errorFields(err) {
  let code;
  let cls;
  for (let e = err; e; e = e.cause) {
    if (code === undefined && typeof e.code === 'number') code = e.code;
    if (cls === undefined && e.constructor && e.constructor.name !== 'Error') cls = e.constructor.name;
  }
  const messages = [];
  for (let e = err; e; e = e.cause) {
    const text = e.message ?? String(e);
    // Wrappers often repeat their cause's text; keep each text once.
    if (!messages.some(m => m.includes(text))) messages.push(text);
  }
  cls = cls ?? err?.constructor?.name ?? 'Error';
  return { code: code ?? cls, exception: cls, message: messages.join(' <- caused by: ') };
}

function usage(msg) {
  process.stderr.write(`client.mjs: ${msg}\n` +
    'usage: client.mjs produce --endpoint H:P --namespace NS --topic T --count N [--tag TAG] ' +
    '[--keys K1,K2] [--property k=v ...] [--body-prefix P] [--stop-on-error] [--message-group G [--message-groups N]] ' +
    '[--delay-secs S [--recall]] [--transaction commit|rollback|check-commit|check-rollback [--linger-secs L]] ' +
    '[--ak ID --sk SECRET] [--deadline-secs S]\n' +
    '       client.mjs consume --endpoint H:P --namespace NS --topic T --group G --count N --timeout-secs S ' +
    '[--mode simple|push] [--filter EXPR | --sql EXPR] [--invisible-secs I] [--no-ack] [--ack-delay-ms D] ' +
    '[--ak ID --sk SECRET] [--deadline-secs S]\n');
  process.exit(EXIT.USAGE);
}

function parse(argv) {
  const command = argv[0];
  if (command !== 'produce' && command !== 'consume') usage('first argument must be produce or consume');
  let values;
  try {
    ({ values } = parseArgs({
      args: argv.slice(1),
      options: {
        endpoint: { type: 'string' }, namespace: { type: 'string', default: '' },
        topic: { type: 'string' }, count: { type: 'string' }, ak: { type: 'string' }, sk: { type: 'string' },
        'deadline-secs': { type: 'string' },
        tag: { type: 'string' }, keys: { type: 'string' }, property: { type: 'string', multiple: true, default: [] },
        'body-prefix': { type: 'string', default: 'msg-' }, 'stop-on-error': { type: 'boolean', default: false },
        group: { type: 'string' }, 'timeout-secs': { type: 'string' }, mode: { type: 'string', default: 'simple' },
        filter: { type: 'string' }, sql: { type: 'string' }, 'invisible-secs': { type: 'string', default: '20' },
        'no-ack': { type: 'boolean', default: false }, 'ack-delay-ms': { type: 'string', default: '0' },
        'message-group': { type: 'string' }, 'message-groups': { type: 'string', default: '1' },
        'delay-secs': { type: 'string' }, recall: { type: 'boolean', default: false },
        transaction: { type: 'string' },
        'linger-secs': { type: 'string', default: '30' },
      },
    }));
  } catch (e) {
    usage(e.message);
  }
  for (const k of ['endpoint', 'topic', 'count']) if (values[k] === undefined) usage(`--${k} is required`);
  if (command === 'consume') {
    for (const k of ['group', 'timeout-secs']) if (values[k] === undefined) usage(`--${k} is required`);
    if (!['simple', 'push'].includes(values.mode)) usage('--mode must be simple or push');
  }
  if (Boolean(values.ak) !== Boolean(values.sk)) usage('--ak and --sk go together');
  const number = (flag, min) => {
    const n = Number(values[flag]);
    if (values[flag].trim() === '' || !Number.isFinite(n)) usage(`--${flag} needs a number, got ${JSON.stringify(values[flag])}`);
    if (n < min) usage(`--${flag} must be at least ${min}, got ${values[flag]}`);
    return n;
  };
  const messageGroups = number('message-groups', 1);
  const delaySecs = values['delay-secs'] === undefined ? undefined : number('delay-secs', 0);
  const lingerSecs = number('linger-secs', 0);
  const ackDelayMs = number('ack-delay-ms', 0);
  if (command === 'produce') {
    // The SDK refuses these combinations itself (message types are exclusive); refusing them
    // here keeps them out of the "send failed" results.
    if (!Number.isInteger(messageGroups)) usage('--message-groups must be a whole number');
    if (messageGroups > 1 && values['message-group'] === undefined) usage('--message-groups needs --message-group');
    if (values['message-group'] !== undefined && delaySecs !== undefined) {
      usage('--message-group (FIFO) and --delay-secs (DELAY) exclude each other');
    }
    if (values.recall && delaySecs === undefined) {
      usage('--recall needs --delay-secs (only pending delay messages can be recalled)');
    }
    if (values.transaction !== undefined) {
      if (!TRANSACTION_MODES.includes(values.transaction)) usage(`--transaction must be one of ${TRANSACTION_MODES.join(', ')}`);
      if (values['message-group'] !== undefined || delaySecs !== undefined) {
        usage('--transaction excludes --message-group and --delay-secs');
      }
    }
  } else if (values.sql !== undefined && values.filter !== undefined) {
    usage('--sql and --filter exclude each other (one filter expression per subscription)');
  }
  const timeoutSecs = Number(values['timeout-secs'] ?? 0);
  return {
    command, ...values,
    count: Number(values.count),
    timeoutSecs,
    invisibleSecs: Number(values['invisible-secs']),
    messageGroups,
    delaySecs,
    lingerSecs,
    ackDelayMs,
    // Consume must be allowed to run its own timeout first, a checked transaction its linger.
    deadlineSecs: values['deadline-secs'] !== undefined ? Number(values['deadline-secs'])
      : command === 'consume' ? Math.max(30, timeoutSecs + 30)
        : CHECK_MODES.includes(values.transaction) ? Math.max(30, lingerSecs + 30) : 30,
  };
}

function baseOptions(args) {
  // `namespace` becomes the x-mq-namespace header (sent only when non-empty).
  // `sessionCredentials` is how a user enables request signing; omitted → no authorization header.
  const options = { endpoints: args.endpoint, namespace: args.namespace, logger };
  if (args.ak) options.sessionCredentials = { accessKey: args.ak, accessSecret: args.sk };
  return options;
}

function messageEvent(m, receivedAtMs) {
  return {
    topic: m.topic,
    message_id: m.messageId,
    tag: m.tag || null, // the SDK gives '' for an untagged message; Python and Rust give null
    keys: [...(m.keys ?? [])].sort(),
    properties: Object.fromEntries(m.properties ?? []),
    body: m.body.toString('utf8'),
    delivery_attempt: m.deliveryAttempt ?? null,
    message_group: m.messageGroup || null, // '' when absent, as for the tag
    delivery_timestamp: m.deliveryTimestamp?.getTime() ?? null,
    born_timestamp: m.bornTimestamp?.getTime() || null,
    received_at_ms: receivedAtMs,
  };
}

function filterExpression(args) {
  return args.sql !== undefined ? new FilterExpression(args.sql, FilterType.SQL)
    : new FilterExpression(args.filter ?? '*');
}

function messageGroupOf(args, i) {
  const group = args['message-group'];
  if (group === undefined) return null;
  return args.messageGroups > 1 ? `${group}-${i % args.messageGroups}` : group;
}

async function produce(args) {
  // Whatever the mode, the checker answers with the mode's resolution: the server may ask about
  // any half message of the topic, even before this producer ended its own.
  const resolutionName = args.transaction?.endsWith('commit') ? 'COMMIT' : 'ROLLBACK';
  const checked = new Set();
  let onChecked = () => {};
  const checker = {
    // Called when the server sends a RecoverOrphanedTransactionCommand; the SDK then sends
    // EndTransaction with the answer.
    async check(m) {
      emit('checked', { message_id: m.messageId, resolution: resolutionName });
      checked.add(m.messageId);
      onChecked();
      return TransactionResolution[resolutionName];
    },
  };
  const producer = new Producer({
    ...baseOptions(args), topics: [args.topic], ...(args.transaction ? { checker } : {}),
  });
  try {
    // Waits (without timeout) for the server's settings reply on the telemetry stream.
    await producer.startup();
  } catch (e) {
    emit('error', { stage: 'startup', ...errorFields(e) });
    return EXIT.CLIENT_ERROR;
  }
  const keys = (args.keys ?? '').split(',').filter(Boolean);
  const properties = new Map(args.property.map(kv => {
    const at = kv.indexOf('=');
    return at < 0 ? [kv, ''] : [kv.slice(0, at), kv.slice(at + 1)];
  }));
  let failed = false;
  const sentIds = [];
  for (let i = 0; i < args.count; i++) {
    let transaction;
    let receipt;
    try {
      const group = messageGroupOf(args, i);
      // Due now + S, computed right before the send; the SDK keeps ms precision on the wire.
      const deliveryMs = args.delaySecs === undefined ? null : Date.now() + Math.round(args.delaySecs * 1000);
      const message = {
        topic: args.topic,
        body: Buffer.from(`${args['body-prefix']}${i}`),
        ...(args.tag !== undefined ? { tag: args.tag } : {}),
        ...(keys.length ? { keys } : {}),
        ...(properties.size ? { properties } : {}),
        ...(group !== null ? { messageGroup: group } : {}),
        ...(deliveryMs !== null ? { deliveryTimestamp: new Date(deliveryMs) } : {}),
      };
      if (args.transaction) transaction = producer.beginTransaction();
      receipt = await producer.send(message, transaction);
      sentIds.push(receipt.messageId);
      emit('sent', {
        index: i, message_id: receipt.messageId, message_group: group, delivery_timestamp: deliveryMs,
        ...(transaction ? { transaction_id: receipt.transactionId } : {}),
      });
    } catch (e) {
      failed = true;
      emit('error', { stage: 'send', index: i, ...errorFields(e) });
      if (args['stop-on-error']) break;
      continue;
    }
    if (args.recall) {
      try {
        const recalled = await producer.recallMessage(args.topic, receipt.recallHandle);
        emit('recalled', { index: i, message_id: recalled.messageId });
      } catch (e) {
        failed = true;
        emit('error', { stage: 'recall', index: i, message_id: receipt.messageId, ...errorFields(e) });
        if (args['stop-on-error']) break;
      }
    }
    if (args.transaction === 'commit' || args.transaction === 'rollback') {
      try {
        if (args.transaction === 'commit') {
          await transaction.commit();
          emit('committed', { index: i, message_id: receipt.messageId });
        } else {
          await transaction.rollback();
          emit('rolled_back', { index: i, message_id: receipt.messageId });
        }
      } catch (e) {
        failed = true;
        emit('error', { stage: 'end_transaction', index: i, message_id: receipt.messageId, ...errorFields(e) });
        if (args['stop-on-error']) break;
      }
    }
  }
  let code = failed ? EXIT.CLIENT_ERROR : EXIT.OK;
  if (CHECK_MODES.includes(args.transaction) && sentIds.length) {
    // Stay up until the server checked every half message sent, or --linger-secs ran out.
    const allChecked = () => sentIds.every(id => checked.has(id));
    if (!allChecked()) {
      await new Promise(resolve => {
        const timer = setTimeout(resolve, args.lingerSecs * 1000);
        onChecked = () => { if (allChecked()) { clearTimeout(timer); resolve(); } };
      });
    }
    const missing = sentIds.filter(id => !checked.has(id));
    if (missing.length) {
      emit('error', {
        stage: 'check', code: 'NOT_CHECKED', message_ids: missing,
        message: `${missing.length} of ${sentIds.length} half messages were not checked within --linger-secs=${args.lingerSecs}`,
      });
      if (code === EXIT.OK) code = EXIT.TIMEOUT;
    } else {
      // The checker has answered; the SDK sends EndTransaction right after it returns.
      await sleep(END_TRANSACTION_GRACE_MS);
    }
  }
  try {
    await producer.shutdown();
  } catch (e) {
    emit('error', { stage: 'shutdown', ...errorFields(e) });
  }
  return code;
}

async function consumeSimple(args) {
  // awaitDuration (ms) is the long-polling time sent to the server (SDK default 30 s);
  // keep it inside the caller's timeout.
  const awaitMs = Math.max(1, Math.min(20, args.timeoutSecs)) * 1000;
  const consumer = new SimpleConsumer({
    ...baseOptions(args),
    consumerGroup: args.group,
    subscriptions: new Map([[args.topic, filterExpression(args)]]),
    awaitDuration: awaitMs,
  });
  try {
    await consumer.startup();
  } catch (e) {
    emit('error', { stage: 'startup', ...errorFields(e) });
    return EXIT.CLIENT_ERROR;
  }
  let received = 0;
  let code = EXIT.TIMEOUT;
  const end = Date.now() + args.timeoutSecs * 1000;
  while (Date.now() < end) {
    let messages;
    try {
      messages = await consumer.receive(Math.min(32, args.count - received), args.invisibleSecs * 1000);
    } catch (e) {
      emit('error', { stage: 'receive', ...errorFields(e) });
      code = EXIT.CLIENT_ERROR;
      break;
    }
    // One batch reaches the program at once: every message in it shares this time.
    const receivedAt = Date.now();
    for (const m of messages) {
      received++;
      emit('received', messageEvent(m, receivedAt));
      if (args.ackDelayMs) await sleep(args.ackDelayMs);
      if (!args['no-ack']) {
        try {
          await consumer.ack(m);
          emit('acked', { message_id: m.messageId });
        } catch (e) {
          emit('error', { stage: 'ack', message_id: m.messageId, ...errorFields(e) });
        }
      }
    }
    if (received >= args.count) {
      code = EXIT.OK;
      break;
    }
  }
  try {
    await consumer.shutdown();
  } catch (e) {
    emit('error', { stage: 'shutdown', ...errorFields(e) });
  }
  return code;
}

async function consumePush(args) {
  let received = 0;
  let reached;
  const done = new Promise(resolve => { reached = resolve; });
  const consumer = new PushConsumer({
    ...baseOptions(args),
    consumerGroup: args.group,
    subscriptions: new Map([[args.topic, filterExpression(args)]]),
    messageListener: {
      // SUCCESS makes the SDK ack; FAILURE (--no-ack) makes it nack, so the server redelivers.
      async consume(m) {
        emit('received', messageEvent(m, Date.now()));
        // Holding the message delays the SDK's ack; count it only afterwards so the shutdown
        // below cannot cut the last ack off.
        if (args.ackDelayMs) await sleep(args.ackDelayMs);
        if (++received >= args.count) reached(true);
        return args['no-ack'] ? ConsumeResult.FAILURE : ConsumeResult.SUCCESS;
      },
    },
  });
  const start = Date.now();
  try {
    // Waits (without timeout) for the server's settings reply on the telemetry stream;
    // --deadline-secs bounds it.
    await consumer.startup();
  } catch (e) {
    emit('error', { stage: 'startup', sdk_log: [...sdkErrors], ...errorFields(e) });
    return EXIT.CLIENT_ERROR;
  }
  const left = Math.max(0, args.timeoutSecs * 1000 - (Date.now() - start));
  let timer;
  let refused = false;
  const ok = await Promise.race([
    done,
    new Promise(resolve => { timer = setTimeout(() => resolve(false), left); }),
    new Promise(resolve => { onRefused = () => { refused = true; resolve(false); }; }),
  ]);
  clearTimeout(timer);
  // The SDK acks after the listener returns, and we are woken inside the listener; give the
  // last acks a moment to go out while the client is fully running.
  if (ok) await sleep(1000);
  if (!ok && sdkErrors.length) {
    const refusals = sdkErrors.filter(line => REFUSED.test(line));
    emit('error', {
      stage: 'consume', code: refusals.length ? 'REFUSED' : 'SDK_ERROR_LOGGED',
      message: (refusals.length ? refusals : sdkErrors).at(-1), sdk_log: [...sdkErrors],
    });
  }
  try {
    await consumer.shutdown();
  } catch (e) {
    emit('error', { stage: 'shutdown', ...errorFields(e) });
  }
  return ok ? EXIT.OK : refused ? EXIT.CLIENT_ERROR : EXIT.TIMEOUT;
}

const args = parse(process.argv.slice(2));
setTimeout(() => {
  emit('error', {
    stage: 'deadline', code: 'DEADLINE_EXCEEDED',
    message: `no result within --deadline-secs=${args.deadlineSecs}`,
    ...(sdkErrors.length ? { sdk_log: [...sdkErrors] } : {}),
  });
  finish(EXIT.DEADLINE);
}, args.deadlineSecs * 1000); // not unref'd: it also keeps the process alive while the SDK awaits

const run = args.command === 'produce' ? produce : args.mode === 'push' ? consumePush : consumeSimple;
run(args).then(finish, e => {
  emit('error', { stage: 'internal', ...errorFields(e) });
  finish(EXIT.CLIENT_ERROR);
});
