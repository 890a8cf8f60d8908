/**
 * The origin rule a gateway applies before anything of it is built: an allowlist (`origins`), every
 * origin (`'*'`), or, when neither `origins` nor `@CheckOrigin` is given, the default same-host rule
 * (tornado's). See docs/behaviour.md#handshake.
 * @module
 */
import { isSameOrigin } from './handshake';

/** `origins` compiled once at createApp: exact origins (lower case) and patterns. */
export type OriginRule =
  | { readonly kind: 'any' }
  | { readonly kind: 'list'; readonly exact: ReadonlySet<string>; readonly patterns: readonly RegExp[] }
  | { readonly kind: 'same-host' }
  | { readonly kind: 'hook' };

/** The rule for a gateway's `origins` option (validated by the compile step) and whether it has @CheckOrigin. */
export function compileOriginRule(origins: ReadonlyArray<string | RegExp> | '*' | undefined, hasCheckOrigin: boolean): OriginRule {
  if (origins === '*') return { kind: 'any' };
  if (origins === undefined) return hasCheckOrigin ? { kind: 'hook' } : { kind: 'same-host' };
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const o of origins) {
    if (typeof o === 'string') exact.add(o.toLowerCase());
    else patterns.push(o);
  }
  return { kind: 'list', exact, patterns };
}

/** Whether `origin` (an Origin header) passes the rule; the `hook` rule is left to @CheckOrigin. */
export function originAllowed(rule: OriginRule, origin: string, host: string | undefined): boolean {
  switch (rule.kind) {
    case 'any':
    case 'hook':
      return true;
    case 'same-host':
      return isSameOrigin(origin, host);
    case 'list': {
      const o = origin.toLowerCase();
      return rule.exact.has(o) || rule.patterns.some((p) => p.test(origin));
    }
  }
}
