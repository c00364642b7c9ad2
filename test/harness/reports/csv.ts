import t from 'tap'
import type { ModeRun } from '../../../harness/core/modes/mode.js'
import type { RequestRecord } from '../../../harness/core/record.js'
import { csvHeader, csvRows } from '../../../harness/reports/csv.js'

const record = (cc: string, startMs: number, endMs: number, more: Partial<RequestRecord> = {}): RequestRecord => ({
  cc, outcome: 'ok', status: 200, reason: null, startMs, endMs, injectedDelayMs: 200, injectedBodyMs: null, fault: 'none', bytes: 1000, ...more
})

/** A run that started at epoch ms 5000, its records in completion order, as a mode gives them. */
const run = (records: RequestRecord[]): ModeRun => ({
  records,
  startMs: 5000,
  endMs: 5600,
  startupMs: null,
  workersRssMb: null,
  loopSamples: [],
  workerUtilization: null,
  // Not read by csvRows.
  eventLoop: { delayMs: { p50: 0, p99: 0, max: 0 }, utilization: 0 } as unknown as ModeRun['eventLoop'],
  memory: { rssMb: 0, heapUsedMb: 0 } as unknown as ModeRun['memory']
})

t.test('--csv: the header, then a measured run\'s requests in the order they started', async t => {
  t.equal(csvHeader(), 'mode,concurrency,run,index,path,status,fault,delay_ms,start_ms,end_ms,bytes\n')
  // Completion order: CN (started at +2ms) ended first, BR (started at +0.5ms) second, ZZ (a
  // 404), then US (reset, no status). By start: BR 0.5, CN 2, US 3, ZZ 10.25.
  const records = [
    record('CN', 5002, 5203),
    record('BR', 5000.5, 5210.75),
    record('ZZ', 5010.25, 5011, { outcome: 'not-found', status: 404, injectedDelayMs: 0, bytes: 40 }),
    record('US', 5003, 5600, { outcome: 'error', status: null, reason: 'reset', fault: 'reset', bytes: 0 })
  ]
  const text = csvRows({ mode: 'async', concurrency: 20 }, { warmup: false, index: 1, of: 3 }, run(records), cc => `/flags/${cc.toLowerCase()}/${cc.toLowerCase()}.gif`)
  t.equal(text, [
    'async,20,2,0,/flags/br/br.gif,200,none,200,0.5,210.75,1000',
    'async,20,2,1,/flags/cn/cn.gif,200,none,200,2,203,1000',
    'async,20,2,2,/flags/us/us.gif,reset,reset,200,3,600,0',
    'async,20,2,3,/flags/zz/zz.gif,404,none,0,10.25,11,40',
    ''
  ].join('\n'), 'run 2 of 3 (index 1); times from the run\'s start; the reason where no status came')
  t.equal(csvRows({ mode: 'async', concurrency: 20 }, { warmup: true, index: 0, of: 1 }, run(records), cc => cc), '', 'a warm-up run writes nothing')
})
