// A request's fate on the live page: its colour, and how a fault and a status name it. The feed
// names each request's fate; the page's legend carries the colours to the page's script.

/** Paul Tol's bright scheme, told apart by colour-blind eyes; an error is red as the book's ERROR answers it. */
export const FAULT_COLOURS = {
  ok: '#4477AA',
  'in flight': '#BBBBBB',
  'http error': '#CC3311',
  reset: '#AA3377',
  hang: '#222222',
  slow: '#CCBB44',
  truncate: '#EE7733',
  stall: '#66CCEE',
  gone: '#999933'
} as const

export type FateName = keyof typeof FAULT_COLOURS

/** none with a 2xx or 304 is ok; an HTTP error is any status from 400, whatever drew it (hang-refused's 503). */
export function fateOf (fault: string, status: number | 'none'): FateName {
  if (fault === 'none' && status === 'none') return 'gone'
  if (fault === 'none' || fault === 'hang-refused' || fault.startsWith('http-')) return typeof status === 'number' && status >= 400 ? 'http error' : 'ok'
  return fault in FAULT_COLOURS ? fault as FateName : 'http error'
}
