/**
 * Checks real responses against the API's own OpenAPI document, the way a
 * generated client would read them: the status must be documented for the
 * operation, and the JSON body must validate (ajv, JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1) against that status's schema. Used by the unit
 * contract test (app over fakes) and the integration tests (a real server).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Schema = Record<string, unknown>;
interface Operation {
  operationId?: string;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components?: Record<string, unknown>;
}

export interface Contract {
  /** Throws unless `status` is documented for the operation serving `method path` and `body` matches its schema. */
  check(method: string, path: string, status: number, body: unknown): void;
  /** `GET /v1/runs/{id}` for each operation seen by {@link check}. */
  readonly seen: Set<string>;
  /** Every operation of the document, as `METHOD /template`. */
  readonly operations: string[];
}

export function contract(doc: OpenApiDoc): Contract {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validators = new Map<string, ValidateFunction>();
  const templates = Object.keys(doc.paths).map((template) => ({
    template,
    re: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const seen = new Set<string>();
  const operations = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));

  return {
    seen,
    operations,
    check(method, path, status, body) {
      const pathname = new URL(path, 'http://x').pathname;
      const match = templates.find((t) => t.re.test(pathname) && doc.paths[t.template]![method.toLowerCase()]);
      if (!match) throw new Error(`${method} ${pathname}: no operation in the OpenAPI document`);
      const op = doc.paths[match.template]![method.toLowerCase()]!;
      const name = `${method.toUpperCase()} ${match.template}`;
      seen.add(name);
      const response = op.responses[String(status)];
      if (!response) throw new Error(`${name} answered ${status}, which the document does not list (it lists ${Object.keys(op.responses).join(', ')})`);
      const schema = response.content?.['application/json']?.schema;
      if (!schema) return;
      const key = `${name} ${status}`;
      let validate = validators.get(key);
      if (!validate) {
        // The schema's `#/components/...` references resolve against this root.
        validate = ajv.compile({ ...schema, components: doc.components });
        validators.set(key, validate);
      }
      if (!validate(body)) {
        throw new Error(`${name} ${status}: the body does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`);
      }
    },
  };
}
