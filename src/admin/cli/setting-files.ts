/**
 * Settings that name a file whose contents matter are checked beyond their syntax, both when set
 * (`server set` refuses, nothing written) and by `config check` (for a config written earlier or
 * by hand, or a file changed since): today the cluster secret.
 */
import type { SectionName, SettingValue } from '../../config/schema.js';
import { clusterSecretFileProblem } from '../../frontend/secret.js';

/** The problem with a file-valued setting's file, or null (also for settings not checked here). */
export function fileSettingProblem(section: SectionName, name: string, value: SettingValue): string | null {
  if (section === 'server' && name === 'cluster-secret-file') return clusterSecretFileProblem(String(value));
  return null;
}
