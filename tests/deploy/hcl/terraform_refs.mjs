// Static checks of a Terraform configuration without Terraform (Debian does not package it):
// every .tf file of a folder is parsed by HashiCorp's HCL parser (@cdktf/hcl2json, Go compiled to
// WebAssembly, so it runs offline), and every reference in an expression must name something the
// configuration declares: var.X (variable), local.X (locals), data.T.N, ephemeral.T.N, module.M
// (and module.M.O an output of a local module), and T.N for a resource type T of a required
// provider (aws_*, random_*). `terraform validate` would do more, but needs the providers.
// Usage as a program: node terraform_refs.mjs DIR  (prints one line per problem, exit 1 if any).
import { parse } from "@cdktf/hcl2json";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// The blocks of every .tf file of dir, merged: {resource: {T: {N: [...]}}, variable: {...}, ...}.
export async function loadConfiguration(dir) {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".tf")).sort();
  if (files.length === 0) throw new Error(`${dir}: no .tf files`);
  const merged = { files: {}, locals: {} };
  for (const file of files) {
    const blocks = await parse(file, fs.readFileSync(path.join(dir, file), "utf8"));
    merged.files[file] = blocks;
    for (const [kind, body] of Object.entries(blocks)) {
      if (kind === "locals") {
        for (const group of body) Object.assign(merged.locals, group);
        continue;
      }
      merged[kind] ??= {};
      for (const [name, value] of Object.entries(body)) {
        // resource/data/ephemeral are keyed by type then name; the others by name.
        merged[kind][name] = kind in { resource: 1, data: 1, ephemeral: 1 } ? { ...merged[kind][name], ...value } : value;
      }
    }
  }
  return merged;
}

// The text of each ${ ... } of a string, nested ones included (hcl2json writes every expression so).
function interpolations(text) {
  const found = [];
  for (let start = text.indexOf("${"); start !== -1; start = text.indexOf("${", start + 2)) {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      if (text[i] === "{") depth++;
      else if (text[i] === "}" && --depth === 0) {
        found.push(text.slice(start + 2, i));
        break;
      }
    }
  }
  return found;
}

function* strings(value, where) {
  if (typeof value === "string") yield [value, where];
  else if (Array.isArray(value)) for (const v of value) yield* strings(v, where);
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) yield* strings(v, where);
}

const ident = "[A-Za-z_][A-Za-z0-9_-]*";
const referencePattern = new RegExp(`(?<![\\w.-])(${ident})\\.(${ident})(?:\\.(${ident}))?`, "g");

// Every reference of the configuration: {ref, file}.
export function references(config) {
  const providers = new Set();
  for (const blocks of Object.values(config.files)) {
    for (const t of blocks.terraform ?? []) for (const rp of t.required_providers ?? []) Object.keys(rp).forEach((p) => providers.add(p));
  }
  const refs = [];
  for (const [file, blocks] of Object.entries(config.files)) {
    for (const [text] of strings(blocks, file)) {
      for (const expression of interpolations(text)) {
        for (const m of expression.matchAll(referencePattern)) {
          const [, head, second, third] = m;
          if (["var", "local", "module"].includes(head)) refs.push({ kind: head, name: second, attribute: third, file });
          else if (head === "data" || head === "ephemeral") {
            if (third) refs.push({ kind: head, type: second, name: third, file });
          } else if (head.includes("_") && providers.has(head.split("_")[0])) {
            refs.push({ kind: "resource", type: head, name: second, file });
          }
        }
      }
    }
  }
  return { refs, providers };
}

function localModuleOutputs(dir, source) {
  if (!/^\.\.?\//.test(source)) return null; // a registry or git module: its outputs are not here
  const moduleDir = path.join(dir, source);
  const outputs = new Set();
  for (const file of fs.readdirSync(moduleDir).filter((f) => f.endsWith(".tf"))) {
    const text = fs.readFileSync(path.join(moduleDir, file), "utf8");
    for (const m of text.matchAll(/^\s*output\s+"([^"]+)"/gm)) outputs.add(m[1]);
  }
  return outputs;
}

// Problems: one line per reference to something not declared.
export async function checkReferences(dir) {
  const config = await loadConfiguration(dir);
  const { refs } = references(config);
  const problems = [];
  const has = (kind, type, name) => Boolean(config[kind]?.[type]?.[name]);
  for (const r of refs) {
    let ok;
    if (r.kind === "var") ok = Boolean(config.variable?.[r.name]);
    else if (r.kind === "local") ok = r.name in config.locals;
    else if (r.kind === "module") {
      const block = config.module?.[r.name];
      ok = Boolean(block);
      const outputs = ok && r.attribute ? localModuleOutputs(dir, block[0].source ?? "") : null;
      if (outputs && !outputs.has(r.attribute)) {
        problems.push(`${r.file}: module.${r.name}.${r.attribute}: module ${r.name} has no output ${r.attribute}`);
        continue;
      }
    } else ok = has(r.kind, r.type, r.name);
    if (!ok) {
      const shown = r.kind === "resource" ? `${r.type}.${r.name}` : r.type ? `${r.kind}.${r.type}.${r.name}` : `${r.kind}.${r.name}`;
      problems.push(`${r.file}: ${shown} is referenced but not declared`);
    }
  }
  return [...new Set(problems)].sort();
}

// Issue 16's rules for the runner: no long-lived AWS key anywhere, no secret value in the state.
export async function checkNoKeys(dir) {
  const config = await loadConfiguration(dir);
  const resources = config.resource ?? {};
  const problems = [];
  for (const type of ["aws_iam_user", "aws_iam_access_key", "aws_iam_user_policy", "aws_iam_user_policy_attachment"]) {
    for (const name of Object.keys(resources[type] ?? {})) problems.push(`${type}.${name}: no IAM users or access keys (use a role)`);
  }
  for (const name of Object.keys(resources.random_password ?? {})) {
    problems.push(`random_password.${name}: its result is kept in the state (use an ephemeral random_password)`);
  }
  for (const [name, [block]] of Object.entries(resources.aws_secretsmanager_secret_version ?? {})) {
    if ("secret_string" in block || "secret_binary" in block) {
      problems.push(`aws_secretsmanager_secret_version.${name}: secret_string is kept in the state (use secret_string_wo)`);
    }
  }
  for (const [name, [block]] of Object.entries(resources.aws_ecs_task_definition ?? {})) {
    if (!block.task_role_arn) problems.push(`aws_ecs_task_definition.${name}: no task_role_arn (d2d's S3 credentials come from it)`);
    const containers = String(block.container_definitions ?? "");
    if (/AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)/.test(containers)) {
      problems.push(`aws_ecs_task_definition.${name}: AWS keys handed to the container (the task role provides credentials)`);
    }
    if (!/name\s*=\s*"PGPASSWORD"\s*,\s*valueFrom\s*=/.test(containers)) {
      problems.push(`aws_ecs_task_definition.${name}: PGPASSWORD must come from Secrets Manager (secrets = [{ name = "PGPASSWORD", valueFrom = ... }])`);
    }
  }
  return problems.sort();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = [...(await checkReferences(process.argv[2])), ...(await checkNoKeys(process.argv[2]))];
  for (const p of problems) console.error(p);
  process.exit(problems.length ? 1 : 0);
}
