import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fixturePath } from '../../test/helpers/paths.js';
import { parseHeaderBlock } from './headers.js';
import { indexMessage } from './indexer.js';
import type { BodyPart } from './types.js';

const dir = fixturePath('messages');
const names = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();

function boundaryOf(p: BodyPart): string | null {
  return p.params.find(([k]) => k === 'boundary')?.[1] ?? null;
}

/** Checks every part's offsets against the raw bytes; returns the number of parts checked. */
function checkTree(raw: Buffer, root: BodyPart): number {
  let checked = 0;
  const stack: Array<{ part: BodyPart; lo: number; hi: number }> = [{ part: root, lo: 0, hi: raw.length }];
  while (stack.length > 0) {
    const { part, lo, hi } = stack.pop()!;
    checked++;
    assert.ok(lo <= part.headerStart && part.headerStart <= part.bodyStart && part.bodyStart <= part.bodyEnd && part.bodyEnd <= hi, 'offsets nest');
    assert.equal(part.size, part.bodyEnd - part.bodyStart, 'size is the body octets');
    // the header block is exactly its fields plus, when present, the blank line
    const fields = parseHeaderBlock(raw, part.headerStart, part.bodyStart);
    const fieldBytes = Buffer.concat(fields.map((f) => raw.subarray(f.start, f.end)));
    const header = raw.subarray(part.headerStart, part.bodyStart);
    const rest = header.subarray(fieldBytes.length).toString('latin1');
    assert.ok(header.subarray(0, fieldBytes.length).equals(fieldBytes), 'fields are contiguous from headerStart');
    assert.ok(['', '\r\n', '\n'].includes(rest), `header ends with the blank line only, got ${JSON.stringify(rest)}`);
    if (part.message) {
      assert.equal(part.message.headerStart, part.bodyStart);
      assert.equal(part.message.bodyEnd, part.bodyEnd);
      stack.push({ part: part.message, lo: part.bodyStart, hi: part.bodyEnd });
    }
    if (part.parts) {
      const b = boundaryOf(part);
      for (const [i, child] of part.parts.entries()) {
        stack.push({ part: child, lo: part.bodyStart, hi: part.bodyEnd });
        if (b === null || child.size + child.bodyStart - child.headerStart === 0 && part.parts.length === 1 && child.headerStart === part.bodyStart) continue;
        // a part starts right after a boundary line ...
        const before = raw.subarray(part.bodyStart, child.headerStart).toString('latin1');
        assert.match(before, new RegExp(`(^|\\n)--${b.replace(/[^\w]/g, '\\$&')}[ \\t]*\\r?\\n$`), `part ${i + 1} follows a boundary line`);
        // ... and ends right before the line end of the next boundary line, or at the end
        const after = raw.subarray(child.bodyEnd, part.bodyEnd).toString('latin1');
        if (child.bodyEnd < part.bodyEnd) assert.ok(after.startsWith(`\r\n--${b}`) || after.startsWith(`\n--${b}`), `part ${i + 1} ends before a boundary`);
      }
    }
  }
  return checked;
}

for (const name of names) {
  test(`offsets of ${name} slice the raw bytes into each part's header and body`, () => {
    const raw = readFileSync(`${dir}/${name}`);
    const msg = indexMessage(raw);
    assert.equal(msg.root.headerStart, 0);
    assert.equal(msg.root.bodyEnd, raw.length);
    assert.ok(checkTree(raw, msg.root) >= 1);
  });
}

test('offsets: exact bytes of a multipart/alternative text part', () => {
  const raw = readFileSync(`${dir}/02-alternative.eml`);
  const p = indexMessage(raw).root.parts![0]!;
  assert.equal(raw.subarray(p.headerStart, p.bodyStart).toString(), 'Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n');
  assert.equal(raw.subarray(p.bodyStart, p.bodyEnd).toString(), 'Caf=C3=A9 au lait\r\n');
});

test('offsets: an encapsulated message spans its part body exactly', () => {
  const raw = readFileSync(`${dir}/04-nested-rfc822.eml`);
  const m = indexMessage(raw).root.parts![1]!;
  const body = raw.subarray(m.bodyStart, m.bodyEnd).toString();
  assert.ok(body.startsWith('From: grace@example.com\r\n'));
  assert.ok(body.endsWith('--inner--\r\n'));
  const inner = m.message!.parts!;
  assert.equal(raw.subarray(inner[0]!.bodyStart, inner[0]!.bodyEnd).toString(), 'Noon?');
  assert.equal(raw.subarray(inner[1]!.headerStart, inner[1]!.bodyEnd).toString(), 'Content-Type: text/html\r\n\r\n<i>Noon?</i>');
});

test('offsets: a bare-LF message and a part with a missing blank line', () => {
  const lf = readFileSync(`${dir}/10-bare-lf.eml`);
  const p = indexMessage(lf).root.parts![0]!;
  assert.equal(lf.subarray(p.bodyStart, p.bodyEnd).toString(), 'line one\nline two\n');
  const g = readFileSync(`${dir}/17-garbage.eml`);
  const q = indexMessage(g).root.parts![0]!;
  assert.equal(g.subarray(q.headerStart, q.bodyStart).toString(), 'Content-Type: text\r\nContent-Transfer-Encoding: ?weird\r\n');
  assert.equal(g.subarray(q.bodyStart, q.bodyEnd).toString(), 'this line has no colon so the header ends here');
});
