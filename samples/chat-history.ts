/**
 * The chat sample's history: the last lines said in each room *through this process*, in a small
 * ring per room. Kept in memory on purpose (the sample stays one file of state): with two
 * processes over Redis, each keeps the lines its own members said, so a member joining on one
 * process sees that process's recent lines only. A shared history would live in Redis (a list
 * per room, LPUSH + LTRIM), which is beyond this sample.
 */
import { injectable } from 'tsyringe';

export interface ChatLine {
  id: string;
  nick: string;
  text: string;
  at: number;
}

/** Lines kept per room. */
export const HISTORY_SIZE = 50;

/** One per app: createChatApp registers an instance in the app's container. */
@injectable()
export class ChatHistory {
  private readonly rooms = new Map<string, ChatLine[]>();

  add(room: string, line: ChatLine): void {
    const lines = this.rooms.get(room) ?? [];
    lines.push(line);
    if (lines.length > HISTORY_SIZE) lines.splice(0, lines.length - HISTORY_SIZE);
    this.rooms.set(room, lines);
  }

  /** The last `limit` lines of `room`, oldest first (a copy: the ring may move while it is streamed). */
  recent(room: string, limit = HISTORY_SIZE): ChatLine[] {
    return (this.rooms.get(room) ?? []).slice(-limit);
  }
}
