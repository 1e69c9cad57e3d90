'use strict';
// Starts the pieces an end-to-end test needs and stops them again:
//   1. an SMTP sink (smtp-server on 127.0.0.1, random port, no TLS, no auth) that keeps every
//      message it receives, parsed by mailparser, in memory;
//   2. the `madoguchi demo` binary (E2E_SERVER_BIN; scripts/test.sh points it at target/debug) on a random 127.0.0.1 port with a throwaway data dir,
//      sending its mail to the sink.
// `stop()` sends SIGTERM and requires the server to exit 0 within 10 s (graceful shutdown).

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { SMTPServer } = require('smtp-server');
const { simpleParser } = require('mailparser');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const RESULTS_DIR = path.join(__dirname, '..', 'test-results');

function binaryPath() {
  if (process.env.E2E_SERVER_BIN) return path.resolve(process.env.E2E_SERVER_BIN);
  const targetDir = process.env.CARGO_TARGET_DIR
    ? path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR)
    : path.join(REPO_ROOT, 'target');
  return path.join(targetDir, 'release', 'madoguchi');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** In-memory SMTP sink. */
async function startMailSink() {
  const mails = [];
  const waiters = new Set();

  const notify = () => {
    for (const w of [...waiters]) {
      const found = mails.find(w.predicate);
      if (found) {
        waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(found);
      }
    }
  };

  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, session, callback) {
      callback(null, { user: auth.username || 'anonymous' }); // accept any credentials
    },
    logger: false,
    banner: 'madoguchi e2e sink',
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          mails.push({
            subject: parsed.subject || '',
            text: parsed.text || '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            from: parsed.from ? parsed.from.text : '',
            to: parsed.to ? [].concat(parsed.to).map((a) => a.text).join(', ') : '',
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            headers: parsed.headers,
            receivedAt: new Date(),
          });
          notify();
          callback();
        })
        .catch((err) => callback(err));
    },
  });
  server.on('error', (err) => {
    // Connection-level errors (client hang-ups) must not crash the test process.
    if (process.env.E2E_VERBOSE) console.error('[smtp-sink]', err.message);
  });

  await new Promise((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.server.address();

  return {
    port,
    mails,
    /**
     * Resolves with the first received mail for which `predicate(mail)` is true (mails that
     * arrived earlier count too); rejects after `timeoutMs`, listing what did arrive.
     */
    waitForMail(predicate, timeoutMs = 15000) {
      const found = mails.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { predicate, resolve };
        w.timer = setTimeout(() => {
          waiters.delete(w);
          const seen = mails.map((m) => `  - to=${m.envelopeTo.join(',')} subject=${JSON.stringify(m.subject)}`);
          reject(new Error(`no matching mail within ${timeoutMs} ms; the sink holds ${mails.length}:\n${seen.join('\n')}`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    close() {
      for (const w of waiters) clearTimeout(w.timer);
      waiters.clear();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Starts the SMTP sink and `madoguchi demo`. `label` names the server log file under
 * e2e/test-results/.
 */
async function startStack(label = 'server') {
  const bin = binaryPath();
  if (!fs.existsSync(bin)) {
    throw new Error(
      `madoguchi binary not found at ${bin}.\n` +
        'Build it first: `cargo build --release --locked` (or run scripts/test.sh, which uses target/debug),\n' +
        'or point E2E_SERVER_BIN at a binary.',
    );
  }

  const mail = await startMailSink();
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'madoguchi-e2e-data-'));
  const baseURL = `http://127.0.0.1:${port}`;

  // Hermetic environment: drop any MADOGUCHI_* settings of the developer's shell.
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MADOGUCHI_')) env[k] = v;
  Object.assign(env, {
    MADOGUCHI_SMTP__HOST: '127.0.0.1',
    MADOGUCHI_SMTP__PORT: String(mail.port),
    MADOGUCHI_LOG: 'info',
  });

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const logPath = path.join(RESULTS_DIR, `${label}.log`);
  const logFile = fs.openSync(logPath, 'w');
  let stdout = '';
  let stderr = '';
  const cap = (s) => (s.length > 200000 ? s.slice(-200000) : s);

  const child = spawn(bin, ['demo', '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir], {
    cwd: dataDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => {
    stdout = cap(stdout + d);
    fs.writeSync(logFile, d);
    if (process.env.E2E_VERBOSE) process.stderr.write(`[server] ${d}`);
  });
  child.stderr.on('data', (d) => {
    stderr = cap(stderr + d);
    fs.writeSync(logFile, d);
    if (process.env.E2E_VERBOSE) process.stderr.write(`[server] ${d}`);
  });

  let exited = null; // { code, signal }
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const tail = () => {
    const out = (stderr + (stdout ? `\n--- stdout ---\n${stdout}` : '')).trim();
    return out.length > 6000 ? `…${out.slice(-6000)}` : out || '(no output)';
  };

  const cleanup = async () => {
    process.removeListener('exit', killOnExit);
    await mail.close();
    try {
      fs.closeSync(logFile);
    } catch {
      /* already closed */
    }
    if (!process.env.E2E_KEEP_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
  };

  // Wait for GET /readyz == 200.
  const deadline = Date.now() + 30000;
  let lastProblem = 'no attempt yet';
  for (;;) {
    if (exited) {
      await cleanup();
      throw new Error(
        `madoguchi demo exited early (code ${exited.code}, signal ${exited.signal}) before /readyz answered 200.\n` +
          `Server output (${logPath}):\n${tail()}`,
      );
    }
    try {
      const res = await fetch(`${baseURL}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) break;
      lastProblem = `GET /readyz → ${res.status}`;
    } catch (err) {
      lastProblem = `GET /readyz failed: ${err.cause ? err.cause.code || err.cause.message : err.message}`;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exitPromise;
      await cleanup();
      throw new Error(
        `madoguchi demo did not become ready within 30 s (${lastProblem}).\nServer output (${logPath}):\n${tail()}`,
      );
    }
    await sleep(200);
  }

  let stopped = false;
  return {
    baseURL,
    port,
    dataDir,
    mail,
    logPath,
    output: () => ({ stdout, stderr }),
    /** SIGTERM, then require exit code 0 within 10 s. Idempotent. */
    async stop() {
      if (stopped) return;
      stopped = true;
      if (!exited) child.kill('SIGTERM');
      const result = await Promise.race([exitPromise, sleep(10000).then(() => null)]);
      if (!result) {
        child.kill('SIGKILL');
        await exitPromise;
        await cleanup();
        throw new Error(`madoguchi did not exit within 10 s of SIGTERM (no graceful shutdown).\n${tail()}`);
      }
      await cleanup();
      if (result.code !== 0) {
        throw new Error(
          `madoguchi exited with code ${result.code} (signal ${result.signal}) after SIGTERM; expected 0.\n${tail()}`,
        );
      }
    },
  };
}

module.exports = { startStack, startMailSink, binaryPath };
