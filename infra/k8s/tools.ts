/**
 * The offline validators of docker/ and infra/k8s/, pinned: .ci/run installs them into `.braise/tools` (reading the
 * versions from this file) and test/unit/deploy/ runs them. Nothing here runs at Braise's run time.
 */
export const DEPLOY_TOOLS = {
  /** `go install sigs.k8s.io/kustomize/kustomize/v5@…` (accepted by Go 1.26) into `.braise/tools/bin`. */
  kustomize: 'v5.8.1',
  /** `go mod download github.com/kedacore/keda/v2@…`: its ScaledObject CRD schema (2.21: the temporal scaler's includeRunningWorkflowCount). */
  keda: 'v2.21.0',
  /** PyPI `kubernetes-validate`: Kubernetes' own JSON schemas, bundled; into the venv `.braise/tools/deploy-venv`. */
  kubernetesValidate: '1.37.0',
  /** PyPI `dockerfile-parse`: the Dockerfile's instructions, for the stage and user checks. */
  dockerfileParse: '2.0.1',
  /** The Kubernetes release whose schemas the manifests must satisfy (the oldest one they are meant for). */
  kubernetesVersion: '1.33',
} as const;
