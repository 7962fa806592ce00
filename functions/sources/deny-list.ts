/**
 * Addresses a source may not reach. The refresh runs inside AWS with an IAM role: a source URL that
 * points at the instance metadata service (169.254.169.254, fd00:ec2::254) or anything else
 * link-local could read the role's credentials. Loopback and private ranges stay allowed (sources
 * live in VPCs and tests run on 127.0.0.1).
 *
 * Checked on every connection (transport.ts): a literal IP in the URL as it is; a host name by the
 * connection's own lookup, where every address it resolves to must be allowed. IPv4 rules also match the IPv6 forms of their addresses: IPv4-mapped
 * (`::ffff:169.254.169.254`), IPv4-compatible (`::169.254.169.254`) and NAT64 (`64:ff9b::/96`).
 *
 * Configured with `SOURCE_DENY_CIDRS` (comma-separated CIDRs; unset or empty: the default below).
 */
import { BlockList, isIP } from 'node:net';
import { DEFAULT_DENY_CIDRS } from '#lib/config.ts';
import { SourceError } from './errors.ts';

export { DEFAULT_DENY_CIDRS };

interface Rule {
  cidr: string;
  list: BlockList;
}

export class DenyList {
  private constructor(private readonly rules: readonly Rule[]) {}

  /** Throws a SourceError (kind 'config') naming the first entry that is not a CIDR. */
  static parse(cidrs: readonly string[]): DenyList {
    return new DenyList(cidrs.map(toRule));
  }

  /** `SOURCE_DENY_CIDRS` from `env` (pass `process.env`), or the default. */
  static fromEnv(env: Readonly<Record<string, string | undefined>>): DenyList {
    const raw = env.SOURCE_DENY_CIDRS?.trim();
    if (raw === undefined || raw === '') return DenyList.parse(DEFAULT_DENY_CIDRS);
    return DenyList.parse(
      raw
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ''),
    );
  }

  get cidrs(): string[] {
    return this.rules.map((rule) => rule.cidr);
  }

  /** The rule an IP address falls in, or undefined when it is allowed. */
  match(address: string): string | undefined {
    const plain = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
    const family = isIP(plain);
    // Not an address at all: nothing to compare, so nothing to allow.
    if (family === 0) return '(not an IP address)';
    const type = family === 4 ? 'ipv4' : 'ipv6';
    return this.rules.find((rule) => rule.list.check(plain, type))?.cidr;
  }
}

function toRule(cidr: string): Rule {
  const invalid = () =>
    new SourceError(
      `invalid SOURCE_DENY_CIDRS entry "${cidr.slice(0, 100)}": expected a CIDR such as 169.254.0.0/16`,
      {
        kind: 'config',
      },
    );
  const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!match) throw invalid();
  const [, network = '', prefixText = ''] = match;
  const prefix = Number(prefixText);
  const family = isIP(network);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) throw invalid();
  const list = new BlockList();
  if (family === 4) {
    // BlockList matches IPv4-mapped IPv6 addresses against IPv4 rules by itself; add the other two
    // IPv6 spellings of an IPv4 address.
    list.addSubnet(network, prefix, 'ipv4');
    list.addSubnet(`::${network}`, 96 + prefix, 'ipv6');
    list.addSubnet(`64:ff9b::${network}`, 96 + prefix, 'ipv6');
  } else {
    list.addSubnet(network, prefix, 'ipv6');
  }
  return { cidr, list };
}
