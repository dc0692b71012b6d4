// PLACEHOLDER until the real indexer lands: splits the header from the body, nothing more.
import type { ParsedMessage } from './types.js';

export function indexMessage(raw: Buffer): ParsedMessage {
  let bodyStart = raw.indexOf('\r\n\r\n');
  bodyStart = bodyStart < 0 ? raw.length : bodyStart + 4;
  const env = { date: null, subject: null, from: null, sender: null, replyTo: null, to: null, cc: null, bcc: null, inReplyTo: null, messageId: null };
  return {
    size: raw.length, envelope: env, sentDate: null, problems: [],
    search: { headers: [], body: raw.subarray(bodyStart).toString('utf8') },
    root: { type: 'text', subtype: 'plain', params: [], id: null, description: null, encoding: '7bit', size: raw.length - bodyStart, lines: 0, md5: null, disposition: null, language: null, location: null, headerStart: 0, bodyStart, bodyEnd: raw.length },
  };
}
