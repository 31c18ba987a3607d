#!/usr/bin/env node
// Contract helper for tests/test_contract.py (run with the machine's node).
//
//   node tools/contract.mjs bundle   <api/openapi.yaml> <out.json>
//       Resolves every $ref of the multi-file spec (relative files and JSON
//       pointers) and writes one self-contained JSON document.
//   node tools/contract.mjs examples <api/openapi.yaml>
//       Validates every `example` / `examples` in the spec (media types of
//       request bodies and responses, parameters, headers, schemas and their
//       subschemas) against its schema with Ajv (JSON Schema draft 2020-12,
//       the dialect of OpenAPI 3.1) and prints each failure with its JSON
//       pointer in the bundled document and its place in the source files.
//       Last line: `examples: N checked, N failed`; exit status 1 on failure.
//   node tools/contract.mjs validate <in.json>
//       Reads [{label, schema, instance}] and prints [{label, errors}] where
//       errors is null when the instance is valid (used to check the live
//       server's responses against the documented schemas).
//
// Schemas are compiled in Ajv's strict mode, so an unknown keyword (a typo
// such as `minlenght`) or an unknown format in the spec is itself a failure.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

// ---------------------------------------------------------------- $ref resolution

function unescapePointerToken(t) {
    return decodeURIComponent(t).replace(/~1/g, "/").replace(/~0/g, "~");
}

function escapePointerToken(t) {
    return String(t).replace(/~/g, "~0").replace(/\//g, "~1");
}

// Canonical form of a JSON pointer, so that "/a%20b/~1x" and "/a b/~1x" name
// the same place.
function normalizePointer(pointer) {
    if (pointer === "" || pointer === "/") return "";
    return pointer.slice(1).split("/").map((t) => "/" + escapePointerToken(unescapePointerToken(t))).join("");
}

function pointerGet(doc, pointer, where) {
    if (pointer === "" || pointer === "/") return doc;
    if (!pointer.startsWith("/")) throw new Error(`${where}: $ref fragment '${pointer}' is not a JSON pointer`);
    let node = doc;
    for (const raw of pointer.slice(1).split("/")) {
        const key = unescapePointerToken(raw);
        if (node === null || typeof node !== "object" || !(key in node))
            throw new Error(`${where}: $ref target '${pointer}' does not exist`);
        node = node[key];
    }
    return node;
}

// Loads the spec rooted at rootFile and returns {doc, origin}: doc has no
// $ref left (shared targets are shared objects), origin maps each object of
// doc to "file#pointer" of where it was written, for error messages.
export function bundle(rootFile) {
    const baseDir = path.dirname(path.resolve(rootFile));
    const files = new Map();
    const memo = new Map();
    const inProgress = new Set();
    const origin = new WeakMap();

    const load = (file) => {
        if (!files.has(file)) {
            const text = fs.readFileSync(file, "utf8");
            // yaml 2.x refuses duplicate keys by default (uniqueKeys).
            const parsed = YAML.parse(text, { prettyErrors: true });
            files.set(file, parsed);
        }
        return files.get(file);
    };
    const rel = (file) => path.relative(baseDir, file) || path.basename(file);

    // Every place (file#pointer) becomes exactly one object, whether it is
    // reached directly or through any number of $refs.
    const resolve = (node, file, pointer) => {
        const here = `${file}#${pointer}`;
        if (memo.has(here)) return memo.get(here);
        const out = resolveUncached(node, file, pointer);
        if (out !== null && typeof out === "object") memo.set(here, out);
        return out;
    };
    const resolveUncached = (node, file, pointer) => {
        if (Array.isArray(node)) {
            const out = node.map((v, i) => resolve(v, file, `${pointer}/${i}`));
            origin.set(out, `${rel(file)}#${pointer}`);
            return out;
        }
        if (node === null || typeof node !== "object") return node;
        if (typeof node.$ref === "string") {
            const ref = node.$ref;
            const hash = ref.indexOf("#");
            const filePart = hash < 0 ? ref : ref.slice(0, hash);
            const fragment = normalizePointer(hash < 0 ? "" : ref.slice(hash + 1));
            const target = filePart ? path.resolve(path.dirname(file), filePart) : file;
            const key = `${target}#${fragment}`;
            const where = `${rel(file)}#${pointer}`;
            if (inProgress.has(key))
                throw new Error(`${where}: recursive $ref '${ref}' (not supported by the contract test)`);
            inProgress.add(key);
            const resolved = resolve(pointerGet(load(target), fragment, where), target, fragment);
            inProgress.delete(key);
            const siblings = Object.keys(node).filter((k) => k !== "$ref");
            if (siblings.length === 0) return resolved;
            // OpenAPI 3.1 allows summary/description next to $ref: they override.
            const out = { ...resolved };
            for (const k of siblings) out[k] = resolve(node[k], file, `${pointer}/${escapePointerToken(k)}`);
            origin.set(out, where);
            return out;
        }
        const out = {};
        for (const [k, v] of Object.entries(node)) out[k] = resolve(v, file, `${pointer}/${escapePointerToken(k)}`);
        origin.set(out, `${rel(file)}#${pointer}`);
        return out;
    };

    const rootPath = path.resolve(rootFile);
    const doc = resolve(load(rootPath), rootPath, "");
    return { doc, origin };
}

// ---------------------------------------------------------------- Ajv

function collectExtensionKeywords(node, seen, out) {
    if (node === null || typeof node !== "object" || seen.has(node)) return;
    seen.add(node);
    for (const [k, v] of Object.entries(node)) {
        if (k.startsWith("x-")) out.add(k);
        collectExtensionKeywords(v, seen, out);
    }
}

function makeAjv(doc) {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
    addFormats(ajv);
    // OpenAPI's own schema keywords (3.1 "OAS base vocabulary") and vendor extensions.
    ajv.addVocabulary(["example", "discriminator", "xml", "externalDocs"]);
    const ext = new Set();
    if (doc) collectExtensionKeywords(doc, new WeakSet(), ext);
    for (const k of ext) ajv.addKeyword({ keyword: k });
    const cache = new Map();
    const compile = (schema) => {
        let validate = cache.get(schema);
        if (!validate) {
            validate = ajv.compile(schema);
            cache.set(schema, validate);
        }
        return validate;
    };
    return {
        // Throws when the schema does not compile.
        compile,
        // Returns null when valid, else a list of "path: message" strings.
        check(schema, instance) {
            const validate = compile(schema);
            if (validate(instance)) return null;
            return validate.errors.map((e) => `${e.instancePath || "(root)"} ${e.message}` +
                (e.params && e.params.additionalProperty ? ` '${e.params.additionalProperty}'` : "") +
                (e.params && e.params.allowedValues ? ` ${JSON.stringify(e.params.allowedValues)}` : ""));
        },
    };
}

// ---------------------------------------------------------------- example walk

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const SUBSCHEMA_MAPS = ["properties", "patternProperties", "$defs", "dependentSchemas"];
const SUBSCHEMA_ONE = ["additionalProperties", "items", "not", "if", "then", "else", "contains",
    "propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema"];
const SUBSCHEMA_LISTS = ["allOf", "anyOf", "oneOf", "prefixItems"];

export function checkExamples(doc, origin) {
    const ajv = makeAjv(doc);
    const failures = [];
    let checked = 0;
    const visited = new WeakSet();
    const where = (parent, key) => {
        const o = origin.get(parent);
        return o ? `${o}/${escapePointerToken(key)}` : "?";
    };
    // Each schema is compiled once even without examples, so a keyword typo
    // fails the contract; the failure is reported once, where first seen.
    const broken = new WeakSet();
    const compiles = (schema, pointer) => {
        if (broken.has(schema)) return false;
        try {
            ajv.compile(schema);
            return true;
        } catch (e) {
            broken.add(schema);
            failures.push({ pointer, source: origin.get(schema) || "?",
                errors: [`schema does not compile: ${e.message}`] });
            return false;
        }
    };
    const check = (schema, instance, pointer, src) => {
        if (!compiles(schema, pointer)) return;
        checked++;
        const errors = ajv.check(schema, instance);
        if (errors) failures.push({ pointer, source: src, errors });
    };

    const walkSchema = (schema, pointer) => {
        if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return;
        if (visited.has(schema)) return;
        visited.add(schema);
        compiles(schema, pointer);
        if (Array.isArray(schema.examples))
            schema.examples.forEach((ex, i) =>
                check(schema, ex, `${pointer}/examples/${i}`, `${where(schema.examples, i)}`));
        else if (schema.examples !== undefined)
            failures.push({ pointer: `${pointer}/examples`, source: where(schema, "examples"),
                errors: ["a schema's `examples` must be an array (JSON Schema 2020-12)"] });
        if (schema.example !== undefined)
            check(schema, schema.example, `${pointer}/example`, where(schema, "example"));
        for (const k of SUBSCHEMA_MAPS)
            if (schema[k] && typeof schema[k] === "object")
                for (const [name, sub] of Object.entries(schema[k]))
                    walkSchema(sub, `${pointer}/${k}/${escapePointerToken(name)}`);
        for (const k of SUBSCHEMA_ONE)
            if (schema[k] && typeof schema[k] === "object") walkSchema(schema[k], `${pointer}/${k}`);
        for (const k of SUBSCHEMA_LISTS)
            if (Array.isArray(schema[k])) schema[k].forEach((sub, i) => walkSchema(sub, `${pointer}/${k}/${i}`));
    };

    // A media type, parameter or header: `example` or `examples.*.value`
    // against its `schema` (or each `content.*` for parameters/headers).
    const walkExampleHolder = (holder, pointer) => {
        if (!holder || typeof holder !== "object") return;
        if (visited.has(holder)) return;
        visited.add(holder);
        const schema = holder.schema;
        if (schema) walkSchema(schema, `${pointer}/schema`);
        const hasExamples = holder.example !== undefined || (holder.examples && typeof holder.examples === "object");
        if (hasExamples && !schema) {
            failures.push({ pointer, source: origin.get(holder) || "?", errors: ["has an example but no schema"] });
        } else if (schema) {
            if (holder.example !== undefined) check(schema, holder.example, `${pointer}/example`, where(holder, "example"));
            if (holder.examples && typeof holder.examples === "object")
                for (const [name, ex] of Object.entries(holder.examples)) {
                    const p = `${pointer}/examples/${escapePointerToken(name)}`;
                    if (ex && ex.externalValue !== undefined && ex.value === undefined)
                        failures.push({ pointer: p, source: where(holder.examples, name),
                            errors: ["externalValue examples cannot be checked; inline the value"] });
                    else if (!ex || ex.value === undefined)
                        failures.push({ pointer: p, source: where(holder.examples, name),
                            errors: ["an Example Object needs a `value`"] });
                    else check(schema, ex.value, `${p}/value`, where(ex, "value"));
                }
        }
        if (holder.content && typeof holder.content === "object")
            for (const [mt, media] of Object.entries(holder.content))
                walkExampleHolder(media, `${pointer}/content/${escapePointerToken(mt)}`);
        if (holder.headers && typeof holder.headers === "object")
            for (const [name, h] of Object.entries(holder.headers))
                walkExampleHolder(h, `${pointer}/headers/${escapePointerToken(name)}`);
    };

    const walkOperation = (op, pointer) => {
        (op.parameters || []).forEach((p, i) => walkExampleHolder(p, `${pointer}/parameters/${i}`));
        if (op.requestBody) walkExampleHolder(op.requestBody, `${pointer}/requestBody`);
        for (const [code, resp] of Object.entries(op.responses || {}))
            walkExampleHolder(resp, `${pointer}/responses/${escapePointerToken(code)}`);
    };

    for (const [p, item] of Object.entries(doc.paths || {})) {
        const base = `/paths/${escapePointerToken(p)}`;
        (item.parameters || []).forEach((prm, i) => walkExampleHolder(prm, `${base}/parameters/${i}`));
        for (const m of HTTP_METHODS) if (item[m]) walkOperation(item[m], `${base}/${m}`);
    }
    const c = doc.components || {};
    for (const [name, s] of Object.entries(c.schemas || {})) walkSchema(s, `/components/schemas/${escapePointerToken(name)}`);
    for (const kind of ["parameters", "headers", "requestBodies", "responses"])
        for (const [name, h] of Object.entries(c[kind] || {}))
            walkExampleHolder(h, `/components/${kind}/${escapePointerToken(name)}`);
    return { checked, failures };
}

// ---------------------------------------------------------------- main

function main(argv) {
    const [cmd, ...args] = argv;
    try {
        if (cmd === "bundle" && args.length === 2) {
            const { doc } = bundle(args[0]);
            fs.writeFileSync(args[1], JSON.stringify(doc, null, 1));
            return 0;
        }
        if (cmd === "examples" && args.length === 1) {
            const { doc, origin } = bundle(args[0]);
            const { checked, failures } = checkExamples(doc, origin);
            for (const f of failures) {
                console.log(`FAIL #${f.pointer}  (${f.source})`);
                for (const e of f.errors) console.log(`    ${e}`);
            }
            console.log(`examples: ${checked} checked, ${failures.length} failed`);
            return failures.length ? 1 : 0;
        }
        if (cmd === "validate" && args.length === 1) {
            const items = JSON.parse(fs.readFileSync(args[0], "utf8"));
            const ajv = makeAjv(items.map((i) => i.schema));
            const canonical = new Map(); // equal schemas compile once
            for (const it of items) {
                const key = JSON.stringify(it.schema);
                if (!canonical.has(key)) canonical.set(key, it.schema);
                it.schema = canonical.get(key);
            }
            const out = items.map((it) => {
                let errors;
                try {
                    errors = ajv.check(it.schema, it.instance);
                } catch (e) {
                    errors = [`schema does not compile: ${e.message}`];
                }
                return { label: it.label, errors };
            });
            console.log(JSON.stringify(out));
            return 0;
        }
    } catch (e) {
        console.error(`contract.mjs: ${e.message}`);
        return 2;
    }
    console.error("usage: contract.mjs bundle <spec> <out.json> | examples <spec> | validate <in.json>");
    return 2;
}

process.exitCode = main(process.argv.slice(2));
