/** A typed client of the chat contract connected to a hand-written wire-format server (closed after the test). */
import { connect } from '../../../src/client-entry';
import { onCleanup } from '../../helpers/cleanup';
import { ContractPeer } from '../../helpers/contract-peer';
import { chat } from './contract';

export async function connectToPeer(options: Parameters<typeof connect>[2] = {}) {
  const peer = await ContractPeer.start();
  const connecting = connect(chat, peer.url, options);
  const socket = await peer.connection();
  const c = await connecting;
  onCleanup(() => c.close());
  return { peer, socket, c };
}
