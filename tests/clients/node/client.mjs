#!/usr/bin/env node
// Petrel end-to-end test client: drives the official RocketMQ 5 Node.js SDK
// (npm `rocketmq-client-nodejs` 1.0.8, unmodified) with the common command-line contract of
// tests/clients/README.md.
//
// stdout carries only JSON lines (one event each); the SDK's warnings and errors go to stderr
// (all of its log with PETREL_CLIENT_VERBOSE=1). Exit codes: 0 done, 2 client error,
// 3 consume timeout, 4 overall deadline (--deadline-secs) exceeded, 64 bad usage.
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Producer, SimpleConsumer, PushConsumer, FilterExpression, ConsumeResult } =
  require('rocketmq-client-nodejs');

const EXIT = { OK: 0, CLIENT_ERROR: 2, TIMEOUT: 3, DEADLINE: 4, USAGE: 64 };

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
    '[--keys K1,K2] [--property k=v ...] [--body-prefix P] [--stop-on-error] [--ak ID --sk SECRET] [--deadline-secs S]\n' +
    '       client.mjs consume --endpoint H:P --namespace NS --topic T --group G --count N --timeout-secs S ' +
    '[--mode simple|push] [--filter EXPR] [--invisible-secs I] [--no-ack] [--ak ID --sk SECRET] [--deadline-secs S]\n');
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
        filter: { type: 'string', default: '*' }, 'invisible-secs': { type: 'string', default: '20' },
        'no-ack': { type: 'boolean', default: false },
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
  const timeoutSecs = Number(values['timeout-secs'] ?? 0);
  return {
    command, ...values,
    count: Number(values.count),
    timeoutSecs,
    invisibleSecs: Number(values['invisible-secs']),
    // Consume must be allowed to run its own timeout first.
    deadlineSecs: values['deadline-secs'] !== undefined ? Number(values['deadline-secs'])
      : command === 'produce' ? 30 : Math.max(30, timeoutSecs + 30),
  };
}

function baseOptions(args) {
  // `namespace` becomes the x-mq-namespace header (sent only when non-empty).
  // `sessionCredentials` is how a user enables request signing; omitted → no authorization header.
  const options = { endpoints: args.endpoint, namespace: args.namespace, logger };
  if (args.ak) options.sessionCredentials = { accessKey: args.ak, accessSecret: args.sk };
  return options;
}

function messageEvent(m) {
  return {
    topic: m.topic,
    message_id: m.messageId,
    tag: m.tag || null, // the SDK gives '' for an untagged message; Python and Rust give null
    keys: [...(m.keys ?? [])].sort(),
    properties: Object.fromEntries(m.properties ?? []),
    body: m.body.toString('utf8'),
    delivery_attempt: m.deliveryAttempt ?? null,
  };
}

async function produce(args) {
  const producer = new Producer({ ...baseOptions(args), topics: [args.topic] });
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
  for (let i = 0; i < args.count; i++) {
    try {
      const receipt = await producer.send({
        topic: args.topic,
        body: Buffer.from(`${args['body-prefix']}${i}`),
        ...(args.tag !== undefined ? { tag: args.tag } : {}),
        ...(keys.length ? { keys } : {}),
        ...(properties.size ? { properties } : {}),
      });
      emit('sent', { index: i, message_id: receipt.messageId });
    } catch (e) {
      failed = true;
      emit('error', { stage: 'send', index: i, ...errorFields(e) });
      if (args['stop-on-error']) break;
    }
  }
  try {
    await producer.shutdown();
  } catch (e) {
    emit('error', { stage: 'shutdown', ...errorFields(e) });
  }
  return failed ? EXIT.CLIENT_ERROR : EXIT.OK;
}

async function consumeSimple(args) {
  // awaitDuration (ms) is the long-polling time sent to the server (SDK default 30 s);
  // keep it inside the caller's timeout.
  const awaitMs = Math.max(1, Math.min(20, args.timeoutSecs)) * 1000;
  const consumer = new SimpleConsumer({
    ...baseOptions(args),
    consumerGroup: args.group,
    subscriptions: new Map([[args.topic, new FilterExpression(args.filter)]]),
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
    for (const m of messages) {
      received++;
      emit('received', messageEvent(m));
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
    subscriptions: new Map([[args.topic, new FilterExpression(args.filter)]]),
    messageListener: {
      // SUCCESS makes the SDK ack; FAILURE (--no-ack) makes it nack, so the server redelivers.
      consume(m) {
        emit('received', messageEvent(m));
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
  if (ok) await new Promise(resolve => setTimeout(resolve, 1000));
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
