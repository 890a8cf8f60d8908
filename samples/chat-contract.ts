/**
 * The chat sample's contract (zod): what a member may send and what the server sends back.
 * samples/chat.ts implements it; the page at `/` (samples/chat-page.ts) declares the same shapes
 * in its own script, since a page without a bundler cannot import a TypeScript file.
 */
import { z } from 'zod';
import { defineContract } from '../src/contract';

/** One chat line, as sent to members and kept in the room's history. */
export const chatLine = z.object({ id: z.string(), nick: z.string(), text: z.string(), at: z.number() });

export const chatContract = defineContract({
  client: {
    /** Says something to the room; the reply is the message id. Text starting with "/" is confirmed first. */
    say: { data: z.object({ text: z.string().min(1).max(2000) }), reply: z.object({ id: z.string() }) },
    /** "I am (not) typing": dropped rather than queued while reconnecting. */
    typing: { data: z.object({ on: z.boolean() }), volatile: true },
    /** The room's recent lines, oldest first, as a stream. */
    history: { data: z.object({ limit: z.number().int().min(1).max(100).optional() }), reply: chatLine, stream: true },
    /** Changes this member's nickname; the reply is the nickname now in use. */
    nick: { data: z.object({ nick: z.string().trim().min(1).max(32) }), reply: z.object({ nick: z.string() }) },
  },
  server: {
    /** Sent once on open: who you are and where. */
    welcome: { data: z.object({ nick: z.string(), room: z.string() }) },
    message: { data: chatLine },
    typing: { data: z.object({ nick: z.string(), on: z.boolean() }) },
    joined: { data: z.object({ nick: z.string() }) },
    left: { data: z.object({ nick: z.string() }) },
    /** The server asks the member a yes/no question (the page answers with `handle('confirm', …)`). */
    confirm: { data: z.object({ question: z.string() }), reply: z.boolean() },
  },
  errors: {
    /** The member answered "no" to the `confirm` question: nothing was sent. */
    NOT_SENT: z.object({ reason: z.string() }),
  },
});

export type ChatContract = typeof chatContract;
