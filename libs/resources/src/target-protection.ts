import type { ProxyTargetRecord } from '@app/proxy-targets';

/**
 * What the registry needs of a proxy target's auth settings. The settings belong to the protection
 * module (`@app/protection`), which sits above this one: it provides the reader
 * (`ResourcesModule.register`), so this module never imports it.
 */
export interface ProtectionSettings {
  /** Auth is on: the target's resources are served (metadata) and tokens may name them. */
  readonly enabled: boolean;
  readonly mode: string;
  /** Why the stored settings cannot be read: set, every request to the target is refused. */
  readonly unreadable?: string;
  /** Who may use the target (the validator's check token is made out to one of them). */
  readonly required_users: readonly string[];
  readonly required_emails: readonly string[];
  /** GitHub organisations and teams (`org/team-slug`) whose members may use the target (besides users and e-mails). */
  readonly required_orgs: readonly string[];
  readonly required_teams: readonly string[];
  readonly allowed_scopes: readonly string[];
}

/** Reads a target's stored auth settings: null when the target has none. */
export interface TargetProtectionReader<S extends ProtectionSettings = ProtectionSettings> {
  settingsOf(target: Pick<ProxyTargetRecord, 'auth'>): S | null;
}

export const TARGET_PROTECTION = Symbol('TARGET_PROTECTION');
