import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFramer } from './framer.js';
import { tokenizeCommand, ImapSyntaxError } from './tokenizer.js';
import { parseFetchItems } from './fetch-items.js';
import { parseSearchProgram, BadCharsetError } from './search-parse.js';
import { decodeMailboxName, MailboxNameError } from './mutf7.js';
import { parseSequenceSet } from './seqset.js';

test('random input only ever yields framed commands or syntax errors', () => {
  let seed = 12345;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const alphabet = Buffer.from(' ()[]{}"\\*%&+-.:,<>0123456789ABCDEFHIKLMNOPRSTUXYZabcdefz\r\n\0\xff\x7f', 'latin1');
  for (let round = 0; round < 2000; round++) {
    const f = new ImapFramer({ maxLineSize: 200, maxLiteralSize: 50 });
    const len = 1 + rnd(120);
    const input = Buffer.alloc(len);
    for (let i = 0; i < len; i++) input[i] = alphabet[rnd(alphabet.length)];
    f.push(input.subarray(0, rnd(len)));
    f.push(input.subarray(f.bufferedBytes()));
    for (let r = f.take(), guard = 0; r && guard < 1000; r = f.take(), guard++) {
      if (r.kind !== 'command') continue;
      try {
        const cmd = tokenizeCommand(r.parts, r.literals);
        const [, second] = cmd.tokens;
        if (second) {
          try { parseFetchItems(second); } catch (e) { assert.ok(e instanceof ImapSyntaxError, String(e)); }
        }
        try { parseSearchProgram(cmd.tokens, true); } catch (e) { assert.ok(e instanceof ImapSyntaxError || e instanceof BadCharsetError, String(e)); }
        for (const t of cmd.tokens) {
          if (t.type === 'atom') {
            parseSequenceSet(t.value);
            try { decodeMailboxName(t.value); } catch (e) { assert.ok(e instanceof MailboxNameError, String(e)); }
          }
        }
      } catch (e) {
        assert.ok(e instanceof ImapSyntaxError, String(e));
      }
    }
  }
});
