// Test-only bridge to @cloud-copilot/iam-simulate (AGPL, never shipped in the collection).
// stdin: {"cases": [{"id": str, "simulation": <iam-simulate Simulation>}]}
// stdout: {"results": [{"id": str, "result": "Allowed"|"ExplicitlyDenied"|"ImplicitlyDenied"|"Error",
//                       "errors": <validation errors or null>, "ignored": [context keys]}]}
import { runSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const results = []
for (const c of input.cases) {
  const sim = {
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...c.simulation
  }
  const response = await runSimulation(sim, { simulationMode: 'Strict' })
  if (response.resultType === 'error') {
    results.push({ id: c.id, result: 'Error', errors: response.errors, ignored: [] })
    continue
  }
  const one = response.resultType === 'single' ? response.result : response.results[0]
  results.push({
    id: c.id,
    result: response.overallResult,
    errors: null,
    ignored: one?.ignoredContextKeys ?? []
  })
}
process.stdout.write(JSON.stringify({ results }) + '\n')
