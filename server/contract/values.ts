// Values every command line here takes, with one rule each: whole numbers, ports, seeds, hosts.

import { invalidOption } from './errors.js'

/** Seeds are whole numbers a double holds exactly, so that any seed round-trips through JSON. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER

/** A whole number from min to max, or an error naming the option; `note` adds to what is accepted. */
export function wholeNumber (text: string, option: string, min: number, max: number, note = ''): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw invalidOption(option, text, `a whole number from ${min} to ${max}${note}`)
  return Number(text)
}

export function parsePort (text: string, option: string): number {
  return wholeNumber(text, option, 0, 65535, ' (0 picks a free port)')
}

export function parseSeed (text: string, option: string): number {
  return wholeNumber(text, option, 0, MAX_SEED)
}

/** A host as it goes into a URL: an IPv6 address in brackets (::1 → [::1]). */
export function urlHost (host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}
