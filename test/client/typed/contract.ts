/** The contract the typed client's socket tests speak (zod 4 for the client side, valibot for the server side). */
import { z } from 'zod';
import * as v from 'valibot';
import { defineContract } from '../../../src/contract';

export const chat = defineContract({
  client: {
    say: { data: z.object({ text: z.string() }), reply: z.object({ id: z.string() }) },
    typing: { data: z.object({ on: z.boolean() }), volatile: true },
    note: { data: z.object({ n: z.number() }) },
    count: { data: z.object({ n: z.number() }), reply: z.number(), stream: true },
    ping: { reply: v.literal('pong') },
  },
  server: {
    message: { data: z.object({ text: z.string() }) },
    confirm: { data: z.object({ question: z.string() }), reply: z.boolean() },
  },
  errors: { RATE_LIMITED: z.object({ retryAfterMs: z.number() }) },
});
