import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import type { ForwardedHeaderFormat } from '@app/config';
import { plainAddress, type TrustedNetworks } from './trusted-networks';

/** Hops read at most (a header longer than this is refused, not walked further). */
const MAX_HOPS = 64;

/** What a trusted load balancer's headers say about the client; what they did not validly say is absent. */
export interface ForwardedClient {
  /** The right-most address not in the trusted networks (the left-most when all of them are). */
  clientIp?: string;
  /** The X-Forwarded-For the backend gets: from that client to the peer, comma-separated. */
  forwardedFor?: string;
  proto?: 'http' | 'https';
  /** Why a header was ignored (a debug log line). */
  problem?: string;
}

interface Walked {
  client: string;
  /** Addresses from the client to the right end of the header. */
  chain: string;
  /** Forwarded only: the `proto=` of the client's element. */
  proto?: 'http' | 'https';
}

/**
 * Forwarded headers from HTTP load balancers in FORWARDED_TRUSTED_CIDRS. The client is the
 * right-most address that is not a trusted proxy: entries further left were written by the client
 * and are never believed. Parsing is strict; a header that does not parse (where it is walked) is
 * ignored as a whole and the connection decides. Only the canonical spelling is read: `_`
 * spellings are stripped like any client copy (forwarded-headers.ts).
 */
export class ForwardedHeaderTrust {
  constructor(
    private readonly trusted: TrustedNetworks,
    private readonly format: ForwardedHeaderFormat,
  ) {}

  /** Whether the connection's peer is a trusted balancer (its headers are read at all). */
  trusts(peer: string): boolean {
    return this.trusted.has(peer);
  }

  /** What the headers of a request from the trusted `peer` say. */
  read(headers: IncomingHttpHeaders, peer: string): ForwardedClient {
    return this.format === 'forwarded' ? this.fromForwarded(headers, peer) : this.fromXForwarded(headers, peer);
  }

  private fromXForwarded(headers: IncomingHttpHeaders, peer: string): ForwardedClient {
    const out: ForwardedClient = {};
    const xff = headerValue(headers['x-forwarded-for']);
    if (xff !== undefined) {
      const walked = walkXForwardedFor(xff, this.trusted);
      if (walked) Object.assign(out, { clientIp: walked.client, forwardedFor: `${walked.chain}, ${peer}` });
      else out.problem = `malformed X-Forwarded-For ${JSON.stringify(xff.slice(0, 200))}`;
    }
    const xfp = headerValue(headers['x-forwarded-proto']);
    if (xfp !== undefined) {
      const proto = schemeOf(xfp);
      if (proto) out.proto = proto;
      else
        out.problem = `${out.problem ? `${out.problem}; ` : ''}X-Forwarded-Proto ${JSON.stringify(xfp.slice(0, 50))} is not http or https`;
    }
    return out;
  }

  private fromForwarded(headers: IncomingHttpHeaders, peer: string): ForwardedClient {
    const value = headerValue(headers.forwarded);
    if (value === undefined) return {};
    const walked = walkForwarded(value, this.trusted);
    if (!walked) return { problem: `malformed Forwarded ${JSON.stringify(value.slice(0, 200))}` };
    return { clientIp: walked.client, forwardedFor: `${walked.chain}, ${peer}`, proto: walked.proto };
  }
}

/** A header's value; repeated headers (Node joins list headers with ", ") and empty ones count as one / none. */
function headerValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text === undefined || text.trim() === '' ? undefined : text;
}

function schemeOf(value: string): 'http' | 'https' | undefined {
  const scheme = value.trim().toLowerCase();
  return scheme === 'http' || scheme === 'https' ? scheme : undefined;
}

/** An IP literal as the proxy shows addresses (IPv4-mapped IPv6 as IPv4), or null. */
function addressOf(text: string): string | null {
  return isIP(text) === 0 ? null : plainAddress(text);
}

/** Walks `X-Forwarded-For: a, b, c` from the right; null when a walked entry is not an IP address. */
export function walkXForwardedFor(value: string, trusted: TrustedNetworks): Walked | null {
  const hops: string[] = [];
  let end = value.length;
  for (let i = 0; i < MAX_HOPS; i++) {
    const comma = value.lastIndexOf(',', end - 1);
    const address = addressOf(value.slice(comma + 1, end).trim());
    if (!address) return null;
    hops.push(address);
    if (comma < 0 || !trusted.has(address)) return { client: address, chain: hops.reverse().join(', ') };
    end = comma;
  }
  return null;
}

/**
 * Walks an RFC 7239 `Forwarded` header element by element from the right; null when a walked
 * element does not parse, names no IP address in `for=` (`unknown`, obfuscated), or has a `proto=`
 * other than http/https. Elements left of the client are never parsed (a client's malformed
 * element cannot hide what the balancer appended).
 */
export function walkForwarded(value: string, trusted: TrustedNetworks): Walked | null {
  const hops: string[] = [];
  let end = value.length;
  for (let i = 0; i < MAX_HOPS; i++) {
    const start = elementStart(value, end);
    if (start < 0) return null;
    const element = parseElement(value.slice(start, end));
    const address = element?.for === undefined ? null : nodeAddress(element.for);
    if (!element || !address) return null;
    hops.push(address);
    if (start === 0 || !trusted.has(address))
      return { client: address, chain: hops.reverse().join(', '), proto: element.proto };
    end = start - 1; // the comma
  }
  return null;
}

/** Where the element ending at `end` starts (after its comma, or 0); -1 for an unbalanced quote or an escape. */
function elementStart(value: string, end: number): number {
  let quoted = false;
  for (let i = end - 1; i >= 0; i--) {
    const c = value.charCodeAt(i);
    if (c === 0x22 /* " */) {
      if (i > 0 && value.charCodeAt(i - 1) === 0x5c /* \ */) return -1; // balancers write no escapes
      quoted = !quoted;
    } else if (c === 0x2c /* , */ && !quoted) return i + 1;
  }
  return quoted ? -1 : 0;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const QUOTED = /^"[^"\\]*"$/;

/** One element: `pair *( ";" pair )`, each `token=token` or `token="..."`, no parameter twice. */
function parseElement(text: string): { for?: string; proto?: 'http' | 'https' } | null {
  const params = new Map<string, string>();
  for (const part of splitOutsideQuotes(text.trim(), ';')) {
    const pair = part.trim();
    if (pair === '') continue; // `forwarded-element = [ pair ] *( ";" [ pair ] )`
    const eq = pair.indexOf('=');
    const name = pair.slice(0, Math.max(eq, 0)).toLowerCase();
    const raw = pair.slice(eq + 1);
    if (eq <= 0 || !TOKEN.test(name) || params.has(name)) return null;
    if (TOKEN.test(raw)) params.set(name, raw);
    else if (QUOTED.test(raw)) params.set(name, raw.slice(1, -1));
    else return null;
  }
  const proto = params.get('proto');
  const scheme = proto === undefined ? undefined : schemeOf(proto);
  if (proto !== undefined && !scheme) return null;
  return { for: params.get('for'), proto: scheme };
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === separator && !quoted) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts;
}

const IPV6_NODE = /^\[([0-9A-Fa-f:.]+)\](?::(?:\d{1,5}|_[A-Za-z0-9._-]+))?$/;
const IPV4_NODE = /^([0-9.]+)(?::(?:\d{1,5}|_[A-Za-z0-9._-]+))?$/;

/** The IP address of a `for=` node (`192.0.2.1`, `192.0.2.1:80`, `[2001:db8::1]:4711`), or null. */
function nodeAddress(node: string): string | null {
  const v6 = IPV6_NODE.exec(node);
  if (v6) return isIP(v6[1]) === 6 ? plainAddress(v6[1]) : null;
  const v4 = IPV4_NODE.exec(node);
  return v4 && isIP(v4[1]) === 4 ? v4[1] : null;
}
