// The deployment files under docs/deploy/, checked without an orchestrator: the Swarm stack
// against the Compose Specification (and by `docker stack config` where the client has it), the
// Kubernetes manifests against the API's schemas (kubernetes-models, Kubernetes 1.27). What they
// promise is checked too: replicas, one seed, DNS round robin, start-first updates, a stop
// after the grace, limits, non-root. scripts/swarm-check.sh deploys the stack on a real engine;
// no cluster runs here, so the manifests are only validated.

import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ConfigMap, Service } from 'kubernetes-models/v1'
import { Deployment } from 'kubernetes-models/apps/v1'
import { Job } from 'kubernetes-models/batch/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import t from 'tap'
import { parse, parseAllDocuments } from 'yaml'
import { parseDuration } from '../../server/contract/duration.js'
import { projectRoot } from '../../server/contract/project.js'
import { BOOK_SITES } from '../../server/contract/sites.js'
import { composeSpecErrors, interpolated } from '../fixtures/compose-spec.js'
import { onPath, skipUnless } from '../fixtures/tools.js'

const root = projectRoot()
const stackText = readFileSync(join(root, 'docs', 'deploy', 'stack.yml'), 'utf8')
const run = promisify(execFile)

interface StackService {
  image?: string
  user?: string
  read_only?: boolean
  stop_grace_period?: string
  environment?: Record<string, string>
  healthcheck?: { interval?: string }
  deploy?: {
    replicas?: string | number
    endpoint_mode?: string
    update_config?: { order?: string, parallelism?: number }
    resources?: { limits?: { cpus?: string, memory?: string } }
  }
}
interface Stack { services: Record<string, StackService>, networks: Record<string, { driver?: string, attachable?: boolean }> }

t.test('the stack file follows the Compose Specification and says what the swarm must do', async t => {
  const stack = parse(interpolated(stackText, { SEED: '42' })) as Stack
  const errors = composeSpecErrors(stack)
  t.ok(errors === null, `valid${errors === null ? '' : `: ${errors}`}`)
  const server = stack.services.server ?? {}
  t.same(Object.keys(stack.services), ['server'], 'one service, the server: the harness and the load tool run as one-shots')
  t.equal(server.image, 'flag-lab', "the project's image")
  t.equal(String(server.deploy?.replicas), '3', 'three replicas by default')
  t.match(stackText, /^\s+replicas: \$\{REPLICAS:-3\}$/m, 'replicas from REPLICAS')
  t.equal(String(server.environment?.FLAGS_SEED), '42', 'SEED reaches every replica as FLAGS_SEED')
  t.match(interpolated(stackText), /FLAGS_SEED: \$\{SEED:\?/, 'no default seed: without SEED the deploy is refused, so no replica draws its own')
  t.equal(server.deploy?.endpoint_mode, 'dnsrr', 'DNS round robin: the routing mesh does not answer on engines without IPVS')
  t.same(server.deploy?.update_config, { parallelism: 1, order: 'start-first', monitor: '5s', failure_action: 'rollback' }, 'a rolling update starts the new task before stopping the old')
  t.ok((parseDuration(server.stop_grace_period ?? '0s') ?? 0) > (parseDuration(server.environment?.FLAGS_GRACE ?? '') ?? Infinity),
    `stop_grace_period (${server.stop_grace_period ?? '?'}) above the server's grace (${server.environment?.FLAGS_GRACE ?? '?'})`)
  t.same(server.deploy?.resources?.limits, { cpus: '1', memory: '512M' }, 'one core each, as one server process uses')
  t.equal(server.user, '1000:1000', "non-root: the image's node user")
  t.equal(server.read_only, true, 'a read-only root file system')
  t.ok(server.healthcheck?.interval, 'a healthcheck (the image\'s test), which a start-first update waits for')
  t.same(stack.networks.flags, { driver: 'overlay', attachable: true }, 'an attachable overlay network: docker run --network for the one-shots')
})

t.test('docker stack config accepts the stack file, and refuses it without a seed', { skip: skipUnless(onPath('docker') !== null, 'docker') }, async t => {
  const file = join('docs', 'deploy', 'stack.yml')
  const { stdout } = await run('docker', ['stack', 'config', '-c', file], { cwd: root, env: { PATH: process.env.PATH, SEED: '42', REPLICAS: '5' } })
  t.match(stdout, /^\s+replicas: 5$/m, 'REPLICAS sets the replicas')
  t.match(stdout, /^\s+endpoint_mode: dnsrr$/m, 'dnsrr')
  t.match(stdout, /^\s+FLAGS_SEED: "42"$/m, 'the seed')
  const refused = await run('docker', ['stack', 'config', '-c', file], { cwd: root, env: { PATH: process.env.PATH } }).then(() => '', (error: { stderr: string }) => error.stderr)
  t.match(refused, /SEED/, 'no SEED: refused, naming it')
})

const manifests = parseAllDocuments(readFileSync(join(root, 'docs', 'deploy', 'kubernetes.yaml'), 'utf8')).map(doc => doc.toJS() as { kind: string })

t.test('the Kubernetes manifests are valid against the API schemas', async t => {
  const models = { ConfigMap, Service, Deployment, Job, PodDisruptionBudget }
  t.same(manifests.map(m => m.kind), ['ConfigMap', 'Deployment', 'Service', 'PodDisruptionBudget', 'Job'], 'a ConfigMap, a Deployment, a Service, a PodDisruptionBudget, a Job')
  for (const manifest of manifests) {
    const Model = models[manifest.kind as keyof typeof models]
    // The model's constructor takes its own kind's shape: the YAML is checked by validate().
    t.doesNotThrow(() => { new Model(manifest as never).validate() }, `${manifest.kind} validates`)
  }
  t.throws(() => { new Deployment({ ...manifests[1], spec: { replicas: 'three' } } as never).validate() }, 'a wrong type is caught: the check has teeth')
})

t.test('the Kubernetes manifests say what the cluster must do', async t => {
  const [configMap, deployment, service, budget, job] = [
    new ConfigMap(manifests[0] as never), new Deployment(manifests[1] as never), new Service(manifests[2] as never),
    new PodDisruptionBudget(manifests[3] as never), new Job(manifests[4] as never)
  ]
  t.match(configMap.data?.FLAGS_SEED, /^\d+$/, 'one seed in the ConfigMap, for every replica')
  t.equal(deployment.spec?.replicas, 3, 'three replicas')
  t.same(deployment.spec?.strategy?.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 }, 'a new pod ready before an old one goes')
  const pod = deployment.spec?.template.spec
  const [server] = pod?.containers ?? []
  t.same(server?.envFrom, [{ configMapRef: { name: configMap.metadata?.name } }], 'the seed and the injection from the ConfigMap')
  t.same([server?.readinessProbe?.httpGet?.path, server?.livenessProbe?.httpGet?.path], ['/healthz', '/healthz'], 'readiness and liveness on /healthz')
  t.equal(server?.readinessProbe?.httpGet?.port, BOOK_SITES.delay.port, "the probes ask DELAY, one of the book's three sites")
  t.ok(server?.resources?.limits?.cpu !== undefined && server.resources.requests?.memory !== undefined, 'resources: requests and limits')
  t.equal(pod?.securityContext?.runAsNonRoot, true, 'non-root')
  t.equal(server?.securityContext?.readOnlyRootFilesystem, true, 'a read-only root file system')
  t.ok((pod?.terminationGracePeriodSeconds ?? 0) > (parseDuration(configMap.data?.FLAGS_GRACE ?? '') ?? Infinity) / 1000, 'SIGKILL comes after the grace')
  t.equal(service.spec?.clusterIP, 'None', 'a headless Service: the name resolves to every pod')
  t.same(service.spec?.ports?.map(p => p.port), Object.values(BOOK_SITES).map(site => site.port), "the book's three ports")
  t.same(budget.spec?.selector, deployment.spec?.selector, 'the budget covers the Deployment')
  const [harness] = job.spec?.template.spec?.containers ?? []
  t.equal(harness?.securityContext?.readOnlyRootFilesystem, true, 'the harness too, on a read-only root')
  const [node, script = ''] = harness?.command ?? []
  t.equal(node, 'node', 'the Job runs node itself')
  t.ok(existsSync(join(root, script)), `${script}: the harness's compiled entry point exists`)
  t.match(harness?.args?.join(' '), /-s http:\/\/server:8001\/flags/, "the harness against DELAY by the Service's name")
})
