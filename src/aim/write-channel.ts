import type WebSocket from 'ws';
import { packArrayItem, packArrayOfItems, unpackTree } from './codec/index.js';
import type { AimValue } from './codec/values.js';
import { AimClosedError, AimServerError, remoteException } from './errors.js';
import { componentLogger } from '../logging/component-logger.js';
import { RateLimitedLog } from '../logging/rate-limited-log.js';

const log = componentLogger('aim');

/** One write instruction: call `method(...args)` on the server object behind `handler`. */
export interface Instruction {
  handler: string;
  method: string;
  args: readonly AimValue[];
}

/** Tuning of the write channel. Every limit has a default that suits one bridge process. */
export interface WriteChannelOptions {
  /**
   * Largest WebSocket frame to build, in bytes (a single larger instruction still goes alone).
   * Default 16 KiB: `aim server` 3.29.1 parses a frame in time quadratic in its size (each record
   * re-slices the rest of the message), so big frames are slower than several small ones; 8–16 KiB
   * measured fastest (`npm run bench -- aim-client`).
   */
  maxFrameBytes?: number;
  /** Frames sent but not yet acknowledged, at most. Default 8. */
  maxInFlightFrames?: number;
  /**
   * Encoded bytes queued or in flight above which {@link WriteChannel.enqueue}'s promise waits for
   * room (backpressure). Default 64 MiB.
   */
  maxQueuedBytes?: number;
  /** An unacknowledged frame older than this means a dead connection: it is reopened. Default 60 000 ms. */
  ackTimeoutMs?: number;
}

/** What the channel needs from its owner to (re)open the socket. */
export interface WriteChannelSession {
  /** The `ws[s]://.../write-instruction/` URL. */
  url: string;
  /**
   * Called before the socket is reopened after a loss: the owner restores the server-side session
   * (reconnect, re-create resources under their handlers). Throwing makes the channel retry later.
   */
  restore: () => Promise<void>;
}

/** Counters of what the channel sent, for tests, benchmarks and metrics. */
export interface WriteStats {
  /** WebSocket frames sent (including frames sent again after a lost connection). */
  frames: number;
  /** Instructions enqueued. */
  instructions: number;
  /** Instructions sent again after a lost connection. */
  resent: number;
}

/** An instruction encoded for the wire, with what it costs in a frame. */
export interface EncodedInstruction {
  /**
   * The instruction `[handler, method, args]`, packed as an element of the frame's array
   * (`packArrayItem`): {@link buildFrame} copies it and sets its index.
   */
  packed: Buffer;
  /** Records in {@link packed}. */
  records: number;
  /** Bytes it adds to a frame. */
  bytes: number;
}

interface Pending extends EncodedInstruction {
  seq: number;
}

/**
 * Encodes one instruction as the channel sends it: `[handler, method, args]`, packed once as an
 * element of a frame's array, so that framing is a copy (no parsing, no re-encoding).
 */
export function encodeInstruction(instruction: Instruction): EncodedInstruction {
  const { bytes: packed, records } = packArrayItem([instruction.handler, instruction.method, instruction.args]);
  return { packed, records, bytes: packed.length };
}

interface Frame {
  instructions: Pending[];
  lastSeq: number;
  sentAt: number;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

const OK = Buffer.from('OK');
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;

/**
 * The WebSocket write channel of the Aim protocol, pipelined: instructions are encoded when they
 * are enqueued (later changes to the caller's objects do not leak in), packed many to a frame,
 * and up to `maxInFlightFrames` frames travel before the first `OK` comes back. The server applies
 * one client's frames in order and answers each with `OK` or an error frame (after which it closes
 * the socket). On a lost socket every unacknowledged frame is sent again after the owner restored
 * the session: Aim's write instructions are idempotent sets, so a replay is safe.
 */
export class WriteChannel {
  private readonly options: Required<WriteChannelOptions>;
  private readonly session: WriteChannelSession;
  private readonly queue: Pending[] = [];
  private readonly inFlight: Frame[] = [];
  private readonly flushWaiters: Waiter[] = [];
  private readonly roomWaiters: (() => void)[] = [];
  /** Errors of failed frames not yet reported by a flush, by the last seq of the frame. */
  private readonly failures: { seq: number; error: Error }[] = [];
  private socket: WebSocket | undefined;
  private connecting: Promise<void> | undefined;
  private nextSeq = 1;
  private ackedThrough = 0;
  private queuedBytes = 0;
  private pumpScheduled = false;
  private readonly counters: WriteStats = { frames: 0, instructions: 0, resent: 0 };
  private closed = false;
  /** Set once a socket was lost: the next connect restores the session first. */
  private lostSocket = false;
  private ackTimer: NodeJS.Timeout | undefined;
  /** Reconnections, socket errors and refused frames, each kind at most once per interval. */
  private readonly limited = new RateLimitedLog(log);

  constructor(session: WriteChannelSession, options: WriteChannelOptions = {}) {
    this.session = session;
    this.options = {
      maxFrameBytes: options.maxFrameBytes ?? 16 * 1024,
      maxInFlightFrames: options.maxInFlightFrames ?? 8,
      maxQueuedBytes: options.maxQueuedBytes ?? 64 * 1024 * 1024,
      ackTimeoutMs: options.ackTimeoutMs ?? 60_000,
    };
  }

  /** Encoded bytes queued or in flight. */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** Whether {@link close} was called (a getter, so checks after an await are not narrowed away). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** What was sent so far. */
  get stats(): Readonly<WriteStats> {
    return { ...this.counters };
  }

  /**
   * Queues one instruction. It is sent in order with the others, batched into frames. The promise
   * resolves at once while the queue is under `maxQueuedBytes`, else when room frees up: await it
   * to bound memory. Use {@link flush} to learn that the server applied it.
   */
  enqueue(instruction: Instruction): Promise<void> {
    if (this.closed) return Promise.reject(new AimClosedError('the Aim write channel is closed'));
    const encoded = encodeInstruction(instruction);
    this.queue.push({ seq: this.nextSeq++, ...encoded });
    this.counters.instructions += 1;
    this.queuedBytes += encoded.bytes;
    this.schedulePump();
    if (this.queuedBytes <= this.options.maxQueuedBytes) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Resolves when the server acknowledged every instruction enqueued before the call; rejects with
   * the first {@link AimServerError} among them, if any failed (each failure is reported once).
   */
  flush(): Promise<void> {
    const seq = this.nextSeq - 1;
    if (this.ackedThrough >= seq) {
      const failure = this.takeFailure(seq);
      return failure ? Promise.reject(failure) : Promise.resolve();
    }
    if (this.closed) return Promise.reject(new AimClosedError('the Aim write channel is closed'));
    this.schedulePump();
    return new Promise((resolve, reject) => this.flushWaiters.push({ seq, resolve, reject }));
  }

  /** Stops: rejects what waits, closes the socket. Call {@link flush} first to send what is queued. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.ackTimer);
    const error = new AimClosedError('the Aim write channel was closed before these writes were acknowledged');
    for (const waiter of this.flushWaiters.splice(0)) waiter.reject(error);
    for (const resolve of this.roomWaiters.splice(0)) resolve();
    this.socket?.close();
    this.socket = undefined;
    this.limited.flush();
  }

  /** Removes and returns the first unreported failure of the writes up to `seq`. */
  private takeFailure(seq: number): Error | undefined {
    const index = this.failures.findIndex((failure) => failure.seq <= seq);
    return index >= 0 ? this.failures.splice(index, 1)[0]?.error : undefined;
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    // setImmediate, not a microtask: synchronous bursts of writes coalesce into one frame.
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed || this.queue.length === 0) return;
    const socket = this.socket;
    if (!socket || socket.readyState !== socket.OPEN) {
      this.ensureConnected();
      return;
    }
    while (this.queue.length > 0 && this.inFlight.length < this.options.maxInFlightFrames) {
      const frame = this.takeFrame();
      socket.send(buildFrame(frame.instructions), { binary: true });
      this.counters.frames += 1;
      frame.sentAt = Date.now();
      this.inFlight.push(frame);
    }
    this.armAckTimer();
  }

  private takeFrame(): Frame {
    const instructions: Pending[] = [];
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (!next || (instructions.length > 0 && bytes + next.bytes > this.options.maxFrameBytes)) break;
      instructions.push(next);
      bytes += next.bytes;
      this.queue.shift();
    }
    const last = instructions[instructions.length - 1];
    return { instructions, lastSeq: last ? last.seq : this.ackedThrough, sentAt: 0 };
  }

  /**
   * Opens the socket unless it is open or opening, retrying with exponential backoff (100 ms to
   * 5 s) until it succeeds or the channel closes. After a lost socket the owner first restores the
   * server-side session, since the server may have restarted and forgotten every handler.
   */
  private ensureConnected(): void {
    if (this.connecting || this.closed) return;
    this.connecting = this.connectWithRetry().finally(() => {
      this.connecting = undefined;
    });
  }

  private async connectWithRetry(): Promise<void> {
    let delay = BACKOFF_MIN_MS;
    while (!this.closed) {
      try {
        if (this.lostSocket) await this.session.restore();
        const socket = await openSocket(this.session.url);
        if (this.isClosed) {
          socket.close();
          return;
        }
        this.lostSocket = false;
        this.attach(socket);
        this.pump();
        return;
      } catch (error) {
        this.limited.warn('Aim server unreachable', `${describe(error)}; retrying in ${String(delay)} ms`);
        this.lostSocket = true;
        await sleep(delay);
        delay = Math.min(delay * 2, BACKOFF_MAX_MS);
      }
    }
  }

  private attach(socket: WebSocket): void {
    this.socket = socket;
    socket.on('message', (data: Buffer) => {
      this.onAnswer(data);
    });
    const lost = (): void => {
      if (this.socket !== socket) return;
      this.onSocketLost();
    };
    socket.on('close', lost);
    socket.on('error', (error) => {
      this.limited.warn('Aim write channel socket error', error.message);
      lost();
    });
  }

  private onAnswer(data: Buffer): void {
    const frame = this.inFlight.shift();
    if (!frame) {
      this.limited.error('Aim server acknowledged a frame that was not sent; reopening the channel');
      this.socket?.terminate();
      return;
    }
    if (!data.equals(OK)) {
      let error: Error;
      try {
        error = new AimServerError('a write instruction', remoteException(unpackTree(data)));
      } catch (decodeError) {
        error = new AimServerError('a write instruction', {
          moduleName: '',
          className: 'UndecodableErrorFrame',
          args: [],
          message: describe(decodeError),
        });
      }
      this.limited.warn('error frame from Aim', error.message);
      this.failures.push({ seq: frame.lastSeq, error });
      // The server closes the socket after an error frame; later frames were not applied.
    }
    this.acknowledge(frame);
    this.armAckTimer();
    this.pump();
  }

  private acknowledge(frame: Frame): void {
    this.ackedThrough = frame.lastSeq;
    for (const instruction of frame.instructions) this.queuedBytes -= instruction.bytes;
    while (this.roomWaiters.length > 0 && this.queuedBytes <= this.options.maxQueuedBytes) this.roomWaiters.shift()?.();
    for (let i = 0; i < this.flushWaiters.length;) {
      const waiter = this.flushWaiters[i];
      if (waiter && waiter.seq <= this.ackedThrough) {
        this.flushWaiters.splice(i, 1);
        const failure = this.takeFailure(waiter.seq);
        if (failure) waiter.reject(failure);
        else waiter.resolve();
      } else {
        i += 1;
      }
    }
  }

  private onSocketLost(): void {
    this.socket = undefined;
    this.lostSocket = true;
    clearTimeout(this.ackTimer);
    // Frames not acknowledged go back to the front of the queue, in order, to be sent again.
    const unacknowledged = this.inFlight.splice(0).flatMap((frame) => frame.instructions);
    this.counters.resent += unacknowledged.length;
    this.queue.unshift(...unacknowledged);
    if (!this.closed && this.queue.length > 0) this.ensureConnected();
  }

  private armAckTimer(): void {
    clearTimeout(this.ackTimer);
    const oldest = this.inFlight[0];
    if (!oldest) return;
    const wait = Math.max(0, oldest.sentAt + this.options.ackTimeoutMs - Date.now());
    this.ackTimer = setTimeout(() => {
      this.limited.warn('no acknowledgement from Aim in time; reopening the channel', `waited ${String(this.options.ackTimeoutMs)} ms`);
      this.socket?.terminate();
    }, wait);
    this.ackTimer.unref();
  }
}

/**
 * Packs queued instructions into one WebSocket message: the array `[instruction, ...]` as a tree,
 * byte for byte `packTree([[handler, method, args], ...])`.
 */
export function buildFrame(instructions: readonly EncodedInstruction[]): Buffer {
  return packArrayOfItems(instructions.map((instruction) => instruction.packed));
}

/**
 * `ws`, loaded when the first socket opens rather than with this module: it pulls in Node's HTTP,
 * TLS and zlib stacks, which cost a fresh process tens of milliseconds, and the exporter's entry
 * point must load fast. A failed load rejects `openSocket` like an unreachable server (retried).
 */
let webSocketClass: Promise<typeof WebSocket> | undefined;

function loadWebSocket(): Promise<typeof WebSocket> {
  webSocketClass ??= import('ws').then(
    (module) => module.default,
    (error: unknown) => {
      webSocketClass = undefined;
      throw error;
    },
  );
  return webSocketClass;
}

async function openSocket(url: string): Promise<WebSocket> {
  const WebSocketClass = await loadWebSocket();
  return new Promise((resolve, reject) => {
    const socket = new WebSocketClass(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, handshakeTimeout: 10_000 });
    const fail = (error: Error): void => {
      socket.removeAllListeners();
      socket.terminate();
      reject(error);
    };
    socket.once('open', () => {
      socket.removeAllListeners();
      resolve(socket);
    });
    socket.once('error', fail);
    socket.once('unexpected-response', (_request, response) => {
      fail(new Error(`WebSocket upgrade refused with HTTP ${String(response.statusCode)}`));
    });
  });
}

// Not unref'd: while writes wait for the server, the process must not exit and lose them.
function sleep(ms: number): Promise<void> {
  return new Promise((wake) => setTimeout(wake, ms));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
