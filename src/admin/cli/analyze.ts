/**
 * `portcullis analyze [--json]`: checks the installation (login types, listeners, services,
 * certificates, TLS, protocol logs, permissions, disk) and prints each finding with the command
 * that fixes it. Exit 0 when nothing is at warning or worse, 1 otherwise (for monitoring).
 */
import type { CliContext } from './errors.js';
import { parse } from './args.js';
import { loadConfig } from '../../config/config.js';
import { analyze, worstSeverity, type Finding } from '../../observe/analyzer.js';
import { gatherAnalyzerInput } from '../../observe/analyzer-gather.js';

const USAGE = 'portcullis analyze [--json]';
const MARK: Record<Finding['severity'], string> = { pass: 'PASS', info: 'INFO', warning: 'WARN', fail: 'FAIL' };

export function formatFindings(findings: Finding[]): string {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`[${MARK[f.severity]}] ${f.title}  (${f.id})`);
    if (f.detail && f.severity !== 'pass') lines.push(`       ${f.detail}`);
    if (f.fix && (f.severity === 'warning' || f.severity === 'fail' || f.severity === 'info')) lines.push(`       fix: ${f.fix}`);
  }
  const count = (s: Finding['severity']): number => findings.filter((f) => f.severity === s).length;
  lines.push('');
  lines.push(`${count('fail')} fail, ${count('warning')} warning, ${count('info')} info, ${count('pass')} pass`);
  return lines.join('\n');
}

export async function analyzeCommand(ctx: CliContext): Promise<number> {
  const { values } = parse(ctx.args, { json: { type: 'boolean' } }, USAGE);
  const cfg = loadConfig(ctx.dataDir);
  const findings = analyze(await gatherAnalyzerInput(ctx.dataDir, cfg));
  const worst = worstSeverity(findings);
  if (values.json) ctx.stdout(JSON.stringify({ worst, findings }, null, 2));
  else ctx.stdout(formatFindings(findings));
  return worst === 'warning' || worst === 'fail' ? 1 : 0;
}
