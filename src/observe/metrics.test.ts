import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry } from './metrics-registry.js';
import { parseOpenMetrics, sampleValue } from './openmetrics-parse.js';
import { collectServerGauges, commandLabel, renderOpenMetrics } from './metrics.js';

test('renders counters, gauges and histograms that the OpenMetrics parser accepts', async () => {
  const r = new MetricsRegistry();
  const c = r.counter('demo_requests', 'Requests "served".\nSecond line', ['protocol']);
  const g = r.gauge('demo_open', 'Open now', ['protocol', 'tls']);
  const h = r.histogram('demo_seconds', 'Latency', ['op'], [0.1, 1]);
  c.inc({ protocol: 'imap4' });
  c.inc({ protocol: 'imap4' }, 2);
  c.inc({ protocol: 'we"ird\\\n' });
  c.inc({ protocol: 'imap4' }, -5); // ignored: counters never go down
  g.inc({ protocol: 'pop3', tls: 'none' });
  g.dec({ protocol: 'pop3', tls: 'none' });
  h.observe({ op: 'get' }, 0.05);
  h.observe({ op: 'get' }, 0.5);
  h.observe({ op: 'get' }, 3);
  const text = await r.render();
  assert.match(text, /^# TYPE demo_requests counter\n# HELP demo_requests Requests "served".\\nSecond line\n/);
  assert.match(text, /\n# EOF\n$/);
  assert.match(text, /^demo_seconds_bucket\{op="get",le="\+Inf"\} 3$/m);
  const fams = parseOpenMetrics(text);
  assert.equal(sampleValue(fams, 'demo_requests_total', { protocol: 'imap4' }), 3);
  assert.equal(sampleValue(fams, 'demo_requests_total', { protocol: 'we"ird\\\n' }), 1);
  assert.equal(sampleValue(fams, 'demo_open', { protocol: 'pop3', tls: 'none' }), 0);
  assert.deepEqual(fams.get('demo_seconds')!.samples.filter((s) => s.name === 'demo_seconds_bucket').map((s) => [s.labels.le, s.value]), [['0.1', 1], ['1', 2], ['+Inf', 3]]);
  assert.equal(sampleValue(fams, 'demo_seconds_count', { op: 'get' }), 3);
  assert.equal(sampleValue(fams, 'demo_seconds_sum', { op: 'get' }), 3.55);
  assert.throws(() => r.gauge('demo_requests', 'x'), /already registered as a counter/);
  assert.equal(r.counter('demo_requests', 'again'), c, 'registering again returns the same family');
});

test('the parser refuses what the format forbids', () => {
  const ok = '# TYPE a counter\n# HELP a A\na_total 1\n# EOF\n';
  assert.equal(parseOpenMetrics(ok).get('a')!.samples.length, 1);
  assert.throws(() => parseOpenMetrics('# TYPE a counter\na_total 1\n'), /does not end with "# EOF"/);
  assert.throws(() => parseOpenMetrics('a_total 1\n# TYPE a counter\n# EOF'), /no # TYPE before it/);
  assert.throws(() => parseOpenMetrics('# TYPE a counter\na 1\n# EOF'), /no # TYPE before it|suffix/);
  assert.throws(() => parseOpenMetrics('# TYPE a counter\na_total -1\n# EOF'), /negative counter/);
  assert.throws(() => parseOpenMetrics('# TYPE a gauge\na{x="1} 2\n# EOF'), /unterminated|expected/);
  assert.throws(() => parseOpenMetrics('# TYPE a gauge\na{x="\\q"} 2\n# EOF'), /bad escape/);
  assert.throws(() => parseOpenMetrics('# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n# EOF'), /not contiguous/);
  assert.throws(() => parseOpenMetrics('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n# EOF'), /not cumulative/);
  assert.throws(() => parseOpenMetrics('# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\n# EOF'), /\+Inf/);
  assert.throws(() => parseOpenMetrics('# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 1\n# EOF'), /_count differs/);
  assert.throws(() => parseOpenMetrics('# TYPE a gauge\na 1\n# EOF\na 2\n# EOF'), /# EOF before the end/);
  assert.throws(() => parseOpenMetrics('# TYPE a gauge\na one\n# EOF'), /not a number/);
});

test('certificate and throttling gauges are read at each scrape; command labels stay bounded', async () => {
  let certs = [{ name: 'mail.example.org', notAfter: new Date('2030-01-11T00:00:00Z') }];
  let blocked = 2;
  const stop = collectServerGauges({ certificates: () => certs, throttledNetworks: () => blocked, now: () => new Date('2030-01-01T00:00:00Z') });
  try {
    let fams = parseOpenMetrics(await renderOpenMetrics());
    assert.equal(sampleValue(fams, 'portcullis_certificate_expiry_days', { name: 'mail.example.org' }), 10);
    assert.equal(sampleValue(fams, 'portcullis_throttled_addresses'), 2);
    certs = [{ name: 'other.example.org', notAfter: new Date('2029-12-31T00:00:00Z') }];
    blocked = 0;
    fams = parseOpenMetrics(await renderOpenMetrics());
    assert.equal(sampleValue(fams, 'portcullis_certificate_expiry_days', { name: 'mail.example.org' }), undefined, 'a removed certificate disappears');
    assert.equal(sampleValue(fams, 'portcullis_certificate_expiry_days', { name: 'other.example.org' }), -1);
    assert.equal(sampleValue(fams, 'portcullis_throttled_addresses'), 0);
  } finally {
    stop();
  }
  assert.equal(commandLabel('imap4', 'select'), 'SELECT');
  assert.equal(commandLabel('imap4', 'X-RANDOM-1234'), 'OTHER');
  assert.equal(commandLabel('pop3', 'RETR'), 'RETR');
});

test('merged snapshots of several processes: counters and histograms summed, gauges by their rule', async () => {
  const worker = (logins: number, open: number, days: number, latency: number[]): MetricsRegistry => {
    const r = new MetricsRegistry();
    r.counter('demo_logins', 'Logins', ['result']).inc({ result: 'success' }, logins);
    r.gauge('demo_open', 'Open now').set({}, open);
    r.gauge('demo_cert_days', 'Days left', ['name']).set({ name: 'mail' }, days);
    const h = r.histogram('demo_seconds', 'Latency', [], [0.1, 1]);
    for (const v of latency) h.observe({}, v);
    return r;
  };
  const a = await worker(3, 2, 40.5, [0.05, 2]).snapshot();
  const b = await worker(4, 1, 40.25, [0.5]).snapshot();
  const text = await MetricsRegistry.merged([a, b], { demo_cert_days: 'min' }).render();
  const fams = parseOpenMetrics(text);
  assert.equal(sampleValue(fams, 'demo_logins_total', { result: 'success' }), 7);
  assert.equal(sampleValue(fams, 'demo_open', {}), 3);
  assert.equal(sampleValue(fams, 'demo_cert_days', { name: 'mail' }), 40.25);
  assert.equal(sampleValue(fams, 'demo_seconds_bucket', { le: '0.1' }), 1);
  assert.equal(sampleValue(fams, 'demo_seconds_bucket', { le: '1' }), 2);
  assert.equal(sampleValue(fams, 'demo_seconds_count', {}), 3);
  assert.equal(sampleValue(fams, 'demo_seconds_sum', {}), 2.55);
});
