/**
 * Compile-time tests of the hook decorators' signatures, checked by `tsc -p test/types` (part of
 * `npm test`). Each `@ts-expect-error` fails the build if its line compiles: those lines must be rejected.
 */
import 'reflect-metadata';
import type { IncomingMessage } from '../../src';
import { CheckOrigin, Gateway, OnClose, OnMessage, OnOpen, OnPing, OnPong, OnReauth, Subprotocol, type Guard, type GuardResult, type Handshake } from '../../src';

@Gateway('/types/message')
export class MessageSignatures {
  @OnMessage() none(): void {}
  @OnMessage() text(m: string): string {
    return m;
  }
  @OnMessage() binary(m: Buffer): Buffer {
    return m;
  }
  @OnMessage() either(m: IncomingMessage): unknown {
    return m;
  }
  @OnMessage() union(m: string | Buffer): Promise<void> {
    return Promise.resolve(void m);
  }
  @OnMessage() async returnsAnything(m: string): Promise<object> {
    return { m };
  }
  // @ts-expect-error a message is never a number
  @OnMessage() number(m: number): void {
    void m;
  }
  // @ts-expect-error a literal type is narrower than what arrives
  @OnMessage() literal(m: 'ping'): void {
    void m;
  }
  // @ts-expect-error a second required parameter is never given
  @OnMessage() twoParams(m: string, extra: string): void {
    void [m, extra];
  }
}

@Gateway('/types/open/:room')
export class OpenSignatures {
  @OnMessage() m(): void {}
  @OnOpen() none(): void {}
  @OnOpen() room(room: string): void {
    void room;
  }
  @OnOpen() two(room: string, id?: string): void {
    void [room, id];
  }
  @OnOpen() rest(...args: string[]): void {
    void args;
  }
  @OnOpen() async asynchronous(): Promise<void> {}
  // @ts-expect-error path parameters are strings
  @OnOpen() number(id: number): void {
    void id;
  }
  // @ts-expect-error the return value of @OnOpen is ignored: a value is a mistake
  @OnOpen() returns(): number {
    return 1;
  }
}

@Gateway('/types/handshake')
export class HandshakeSignatures {
  @OnMessage() m(): void {}
  @CheckOrigin() sync(origin: string): boolean {
    return origin === 'x';
  }
  @CheckOrigin() async asynchronous(): Promise<boolean> {
    return true;
  }
  // @ts-expect-error the origin is a string
  @CheckOrigin() numberOrigin(origin: number): boolean {
    return origin === 1;
  }
  // @ts-expect-error only a boolean decides; 'yes' would answer 403
  @CheckOrigin() yes(origin: string): string {
    return origin;
  }
  @Subprotocol() pick(offered: string[]): string | null {
    return offered[0] ?? null;
  }
  @Subprotocol() readonlyList(offered: readonly string[]): string | undefined {
    return offered[0];
  }
  @Subprotocol() async later(): Promise<string | undefined> {
    return undefined;
  }
  // @ts-expect-error the offered subprotocols are a list
  @Subprotocol() single(offered: string): string {
    return offered;
  }
  // @ts-expect-error a subprotocol is a string
  @Subprotocol() numeric(): number {
    return 1;
  }
}

@Gateway('/types/frames')
export class FrameSignatures {
  @OnMessage() m(): void {}
  @OnClose() close(): void {}
  @OnClose() async closeAsync(): Promise<void> {}
  @OnPing() ping(data: Buffer): void {
    void data;
  }
  @OnPong() pong(): void {}
  // @ts-expect-error @OnClose is called without arguments
  @OnClose() closeWithCode(code: number): void {
    void code;
  }
  // @ts-expect-error a ping payload is a Buffer
  @OnPing() pingText(data: string): void {
    void data;
  }
  // @ts-expect-error a pong payload is a Buffer
  @OnPong() pongNumber(data: number): void {
    void data;
  }
}

interface Member {
  readonly id: string;
}

@Gateway('/types/reauth')
export class ReauthSignatures {
  @OnMessage() m(): void {}
  @OnReauth() reauth(member: Member): void {
    void member;
  }
  @OnReauth() async reauthAsync(): Promise<void> {}
  // @ts-expect-error @OnReauth is called with the principal only
  @OnReauth() reauthTwo(member: Member, why: string): void {
    void member;
    void why;
  }
}

/** A `Guard` checks its own signatures: `authenticate` gets the handshake, answers a GuardResult. */
export class TypedGuard implements Guard<Member> {
  authenticate(h: Handshake<Member>): GuardResult<Member> {
    return h.bearerToken ? { principal: { id: h.bearerToken }, expiresAt: Date.now() + 1000 } : false;
  }
}
export class WrongGuard implements Guard<Member> {
  authenticate(): GuardResult<Member> {
    // @ts-expect-error a principal of the guard's type, not a string
    return { principal: 'someone' };
  }
}
