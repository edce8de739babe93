/*
 * The certificate verifier, run in the browser: the same checks as the offline verifier
 * (creditbank/core/verify/: bundle.py for the log, policy.py for the certificate), on the
 * bundle of GET /v1/certificates/{number}/verification, with nothing taken from the
 * server on trust but the log's verifier key the page shows (compare its fingerprint
 * with the one the bank publishes).
 *
 * Standards: C2SP signed-note and tlog-checkpoint (Ed25519 through WebCrypto), C2SP
 * tlog-proof receipts, RFC 9162 inclusion (2.1.3.2) and consistency (2.1.4.2) proofs,
 * RFC 8785 canonical JSON for entries and author signatures. Tree sizes and indexes are
 * JavaScript numbers: exact up to 2^53, far beyond any tree this bank will grow.
 *
 * window.creditbankVerifier.verify(bundleText, verifierKey, number, derivedKinds) resolves
 * to {status: "valid" | "revoked" | "invalid", checks: [{check, ok, detail, problems}],
 * facts, credits, treeSize}; bad data fails a check and never throws.
 */
(function () {
  "use strict";

  const RECEIPT_HEADER = "c2sp.org/tlog-proof@v1";
  const SIG_PREFIX = "\u2014 ";
  const NUMBER_RE = /^[A-Z0-9][A-Z0-9-]{5,47}$/;
  const DECIMAL_RE = /^(0|[1-9][0-9]*)$/;
  const CONTROL_RE = /[\x00-\x09\x0b-\x1f\x7f]/;
  const LOG_ACTOR = "log";
  const KEY_KINDS = ["actor.registered", "key.added", "key.recovered"];
  const ROLE_OF_KIND = {
    "certificate.issued": "certificate",
    "certificate.revoked": "revocation",
    "credit.awarded": "award",
    "completion.recorded": "completion",
    "certificate.applied": "application",
    "assessment.recorded": "assessment",
    "actor.registered": "key",
    "key.added": "key",
    "key.recovered": "key",
    "key.revoked": "key",
  };
  const NO_CERTIFICATE = "no proven certificate.issued entry for this number";
  // the bundle's summary of the certificate (api/schemas/certificates.py, BundleCertificatePublic)
  const SUMMARY_FIELDS = [
    "application_index", "assessment", "awards", "certificate_number", "issued_at", "issued_index",
    "issuer", "learner", "level", "revocation_reason", "revoked_index", "standard_id", "status",
  ].join(",");
  const ASSESSMENT_FIELDS = ["assessed_at", "result", "score"];
  const utf8 = new TextEncoder();

  class Problem extends Error {}

  // --- bytes -------------------------------------------------------------------------

  function fromBase64(text, what) {
    // strict RFC 4648: padded, canonical (re-encoding gives the text back), no spaces
    if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
      throw new Problem(what + " is not valid base64");
    }
    let binary;
    try {
      binary = atob(text);
    } catch (e) {
      throw new Problem(what + " is not valid base64");
    }
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    if (toBase64(bytes) !== text) throw new Problem(what + " is not canonical base64");
    return bytes;
  }

  function toBase64(bytes) {
    let binary = "";
    for (const b of bytes) binary += String.fromCharCode(b);
    return btoa(binary);
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  function equal(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  async function ed25519Verify(publicKey, signature, message) {
    const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, [
      "verify",
    ]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  }

  // --- RFC 8785 canonical JSON ---------------------------------------------------------

  function canonical(value) {
    if (value === null || typeof value === "boolean") return JSON.stringify(value);
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) throw new Problem("a number the log never writes");
      return JSON.stringify(value);
    }
    if (typeof value === "string") return JSON.stringify(value);
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    // keys in UTF-16 code unit order, as RFC 8785 asks (and as Array.sort compares)
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
  }

  function parseEntry(bytes) {
    let text, value;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      value = JSON.parse(text);
    } catch (e) {
      throw new Problem("entry is not UTF-8 JSON");
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new Problem("entry is not a JSON object");
    }
    if (!equal(utf8.encode(canonical(value)), bytes)) {
      throw new Problem("entry bytes are not RFC 8785 canonical");
    }
    return value;
  }

  // --- RFC 9162 Merkle proofs ----------------------------------------------------------

  const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));
  const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

  async function rootFromInclusion(index, size, leaf, proof) {
    if (!(index >= 0 && index < size)) throw new Problem(`index ${index} is not in a tree of size ${size}`);
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) throw new Problem("inclusion proof is too long");
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Problem("inclusion proof is too short");
    return r;
  }

  async function verifyConsistency(first, second, proof, firstRoot, secondRoot) {
    if (!(first >= 0 && first <= second)) throw new Problem("sizes out of order");
    if (first === second) {
      if (proof.length || !equal(firstRoot, secondRoot)) throw new Problem("equal sizes, different trees");
      return;
    }
    if (first === 0) {
      if (proof.length) throw new Problem("a proof from the empty tree must be empty");
      return;
    }
    if (!proof.length) throw new Problem("consistency proof is empty");
    const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : proof.slice();
    let fn = first - 1, sn = second - 1;
    while (fn % 2 === 1) {
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    let fr = path[0], sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) throw new Problem("consistency proof is too long");
      if (fn % 2 === 1 || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Problem("consistency proof is too short");
    if (!equal(fr, firstRoot)) throw new Problem("consistency proof does not match the older root");
    if (!equal(sr, secondRoot)) throw new Problem("consistency proof does not match the latest root");
  }

  function isPowerOfTwo(n) {
    while (n > 1) {
      if (n % 2 !== 0) return false;
      n /= 2;
    }
    return n === 1;
  }

  // --- C2SP signed notes and checkpoints ------------------------------------------------

  function validName(name) {
    return name.length > 0 && !name.includes("+") && !/\s/.test(name) && !CONTROL_RE.test(name);
  }

  async function parseVerifierKey(text) {
    const parts = String(text).split("+");
    if (parts.length < 3) throw new Problem("malformed verifier key");
    const name = parts[0], kid = parts[1], blob = parts.slice(2).join("+");
    if (!validName(name) || !/^[0-9a-f]{8}$/.test(kid)) throw new Problem("malformed verifier key");
    const raw = fromBase64(blob, "verifier key");
    if (raw.length !== 33 || raw[0] !== 0x01) throw new Problem("the log key must be a type 0x01 Ed25519 key");
    const publicKey = raw.slice(1);
    const expected = (await sha256(concat(utf8.encode(name + "\n"), Uint8Array.of(0x01), publicKey))).slice(0, 4);
    if (hex(expected) !== kid) throw new Problem("verifier key id mismatch");
    return { name, keyId: expected, publicKey };
  }

  async function openCheckpoint(note, key) {
    if (typeof note !== "string" || !note.endsWith("\n")) throw new Problem("note does not end with a newline");
    if (CONTROL_RE.test(note)) throw new Problem("note contains a control character");
    const split = note.lastIndexOf("\n\n");
    if (split < 0) throw new Problem("note has no blank line before its signatures");
    const text = note.slice(0, split + 1);
    const lines = note.slice(split + 2, -1).split("\n");
    if (!lines.length || lines[0] === "") throw new Problem("note has no signatures");
    let verified = false;
    for (const line of lines) {
      if (!line.startsWith(SIG_PREFIX)) throw new Problem("malformed signature line");
      const rest = line.slice(SIG_PREFIX.length);
      const space = rest.indexOf(" ");
      if (space < 0) throw new Problem("malformed signature line");
      const name = rest.slice(0, space);
      if (!validName(name)) throw new Problem("malformed signature line");
      const raw = fromBase64(rest.slice(space + 1), "signature");
      if (raw.length <= 4) throw new Problem("signature too short");
      // 1. signatures of unknown keys are ignored; 2. a known key's must verify
      if (name !== key.name || !equal(raw.slice(0, 4), key.keyId)) continue;
      const sig = raw.slice(4);
      if (sig.length !== 64 || !(await ed25519Verify(key.publicKey, sig, utf8.encode(text)))) {
        throw new Problem("the log key's signature does not verify");
      }
      verified = true;
    }
    // 3. the log itself signed
    if (!verified) throw new Problem("the checkpoint is not signed by the log key");
    const body = text.slice(0, -1).split("\n");
    if (body.length < 3 || body.some((l) => l === "")) throw new Problem("malformed checkpoint");
    const [origin, sizeText, rootText] = body;
    if (origin !== key.name) throw new Problem(`checkpoint of another log: ${origin}`);
    if (!DECIMAL_RE.test(sizeText)) throw new Problem("checkpoint size is not a canonical decimal");
    const size = Number(sizeText);
    if (!Number.isSafeInteger(size)) throw new Problem("checkpoint size too large");
    const root = fromBase64(rootText, "checkpoint root hash");
    if (root.length !== 32) throw new Problem("checkpoint root hash is not 32 bytes");
    return { origin, size, root };
  }

  function parseReceipt(text) {
    if (typeof text !== "string") throw new Problem("receipt is not text");
    const cut = text.indexOf("\n\n");
    if (cut < 0) throw new Problem("receipt has no blank line before its checkpoint");
    const head = text.slice(0, cut);
    const note = text.slice(cut + 2);
    if (CONTROL_RE.test(head)) throw new Problem("receipt contains a control character");
    const lines = head.split("\n");
    if (lines[0] !== RECEIPT_HEADER) throw new Problem("not a tlog-proof receipt");
    let pos = 1, extra = null;
    if (pos < lines.length && lines[pos].startsWith("extra ")) {
      extra = fromBase64(lines[pos].slice(6), "receipt extra");
      pos += 1;
    }
    if (pos >= lines.length || !lines[pos].startsWith("index ")) throw new Problem("receipt has no index line");
    const indexText = lines[pos].slice(6);
    if (!DECIMAL_RE.test(indexText)) throw new Problem("receipt index is not a canonical decimal");
    const index = Number(indexText);
    const proof = lines.slice(pos + 1).map((l) => fromBase64(l, "receipt proof hash"));
    if (proof.length > 63 || proof.some((h) => h.length !== 32)) throw new Problem("malformed receipt proof");
    if (!note || !note.endsWith("\n") || note.startsWith("\n")) throw new Problem("malformed receipt checkpoint");
    return { index, proof, note, extra };
  }

  // --- the entries a bundle proves ------------------------------------------------------

  const isInt = (v) => Number.isSafeInteger(v);
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

  function proven(index, entry, checkpoint) {
    const statement = isObject(entry.statement) ? entry.statement : {};
    const body = isObject(statement.body) ? statement.body : {};
    return { index, entry, checkpoint, kind: entry.kind, statement, actor: statement.actor, body };
  }

  const describe = (e) => `entry ${e.index} (${e.kind})`;
  const ofKind = (entries, kind) =>
    [...entries.values()].filter((e) => e.kind === kind).sort((a, b) => a.index - b.index);

  function result(check, detail, problems) {
    return { check, ok: problems.length === 0, detail: problems.length ? problems.join("; ") : detail, problems };
  }
  const failed = (check, ...problems) => result(check, "", problems);

  async function readReceipts(items, key) {
    const entries = new Map();
    const carried = [];
    const unsigned = [], notIncluded = [];
    let signed = 0;
    if (!Array.isArray(items) || !items.length) {
      return { entries, carried, checks: [failed("receipt_signatures", "the bundle lists no entries"), failed("inclusion", "the bundle lists no entries")] };
    }
    for (const [position, item] of items.entries()) {
      if (!isObject(item) || !isInt(item.index) || typeof item.receipt !== "string") {
        unsigned.push(`item ${position}: expected an index and a receipt`);
        continue;
      }
      const index = item.index;
      let receipt;
      try {
        receipt = parseReceipt(item.receipt);
      } catch (e) {
        unsigned.push(`entry ${index}: malformed receipt: ${e.message}`);
        continue;
      }
      if (receipt.extra !== null) {
        try {
          carried.push(parseEntry(receipt.extra));
        } catch (e) {
          /* carried but unreadable: the inclusion check reports it */
        }
      }
      let checkpoint;
      try {
        checkpoint = await openCheckpoint(receipt.note, key);
      } catch (e) {
        unsigned.push(`entry ${index}: the receipt's checkpoint does not verify: ${e.message}`);
        continue;
      }
      signed += 1;
      try {
        if (receipt.index !== index) throw new Problem(`the receipt proves index ${receipt.index} instead`);
        if (receipt.extra === null) throw new Problem("the receipt carries no entry bytes");
        const root = await rootFromInclusion(index, checkpoint.size, await leafHash(receipt.extra), receipt.proof);
        if (!equal(root, checkpoint.root)) throw new Problem("the inclusion proof does not match the root");
        const entry = parseEntry(receipt.extra);
        // the server's labels are not trusted, but they must agree with the entry
        if (entry.kind !== item.kind) throw new Problem(`listed as ${item.kind}, the entry is ${entry.kind}`);
        if (item.role !== ROLE_OF_KIND[entry.kind]) throw new Problem(`labelled ${item.role}, the entry is ${entry.kind}`);
        if (entries.has(index)) throw new Problem("listed twice");
        entries.set(index, proven(index, entry, checkpoint));
      } catch (e) {
        notIncluded.push(`entry ${index}: ${e.message}`);
      }
    }
    if (!entries.size) notIncluded.push("no entry of the bundle could be proven");
    return {
      entries,
      carried,
      checks: [
        result("receipt_signatures", `all ${signed} receipts are on checkpoints signed by the log key`, unsigned),
        result("inclusion", `all ${entries.size} entries are proven at their indexes by their receipts`, notIncluded),
      ],
    };
  }

  async function checkConsistency(raw, entries, latest) {
    if (latest === null) return failed("consistency", "no verified latest checkpoint");
    const problems = [];
    const proofs = new Map();
    if (!Array.isArray(raw)) {
      problems.push("consistency proofs must be a list");
      raw = [];
    }
    for (const item of raw) {
      if (!isObject(item) || !isInt(item.first) || !isInt(item.second) || !Array.isArray(item.hashes)) {
        problems.push("a consistency proof is not {first, second, hashes}");
        continue;
      }
      try {
        proofs.set(`${item.first}:${item.second}`, item.hashes.map((h) => fromBase64(h, "consistency proof hash")));
      } catch (e) {
        problems.push(`consistency proof ${item.first}->${item.second}: ${e.message}`);
      }
    }
    const seen = new Map();
    for (const e of entries.values()) seen.set(`${e.checkpoint.size}:${hex(e.checkpoint.root)}`, e);
    for (const e of seen.values()) {
      const size = e.checkpoint.size;
      const proof = size === latest.size ? [] : proofs.get(`${size}:${latest.size}`);
      if (proof === undefined) {
        problems.push(`checkpoint of size ${size}: no consistency proof to tree size ${latest.size}`);
        continue;
      }
      try {
        await verifyConsistency(size, latest.size, proof, e.checkpoint.root, latest.root);
      } catch (err) {
        problems.push(`checkpoint of size ${size} is not consistent with the latest: ${err.message}`);
      }
    }
    return result("consistency", `the ${seen.size} receipt checkpoints are consistent with the latest checkpoint (tree size ${latest.size})`, problems);
  }

  function publicKeyOf(value) {
    try {
      const raw = fromBase64(value, "public key");
      return raw.length === 32 ? raw : null;
    } catch (e) {
      return null;
    }
  }

  async function authorKeyId(publicKey) {
    return hex((await sha256(publicKey)).slice(0, 16));
  }

  async function traceKeys(entries) {
    const keys = new Map();
    if (!entries.size) return { authority: null, keys, check: failed("keys", "no proven entries") };
    const problems = [];
    let authority = null;
    const root = entries.get(0);
    if (root && root.kind === "actor.registered" && root.body.role === "authority" && typeof root.actor === "string" && root.body.actor_id === root.actor) {
      authority = root.actor;
    } else if (root) {
      problems.push("entry 0 is not the authority registering itself (the trust root)");
    }
    const sorted = [...entries.values()].sort((a, b) => a.index - b.index);
    for (const e of sorted.filter((x) => KEY_KINDS.includes(x.kind))) {
      const problem = registrationProblem(e, authority);
      if (problem) {
        problems.push(`${describe(e)}: ${problem}`);
        continue;
      }
      const publicKey = publicKeyOf(e.body.public_key);
      const id = await authorKeyId(publicKey);
      if (!keys.has(id)) keys.set(id, { index: e.index, actor: e.body.actor_id, publicKey });
    }
    for (const e of ofKind(entries, "key.revoked")) {
      const revoked = e.body.key_id;
      if (typeof revoked !== "string" || !keys.has(revoked)) continue;
      for (const used of entries.values()) {
        if (used.entry.key_id === revoked && used.index > e.index) {
          problems.push(`${describe(used)} is signed by key ${revoked}, revoked at ${e.index}`);
        }
      }
    }
    return {
      authority,
      keys,
      check: result("keys", `${keys.size} author keys, each traced to the trust root at entry 0`, problems),
    };
  }

  function registrationProblem(e, authority) {
    const actorId = e.body.actor_id;
    if (typeof actorId !== "string") return "names no actor_id";
    if (publicKeyOf(e.body.public_key) === null) return "carries no 32-byte Ed25519 public key";
    if (e.index === 0) return authority !== null ? null : "not a valid trust root";
    if (authority === null) return "the trust root is not proven";
    if (e.kind === "actor.registered") {
      if (e.actor !== authority) return `registered by ${e.actor}, not by the authority`;
      if (e.body.role === "authority") return "a second authority";
    } else if (e.kind === "key.recovered") {
      if (e.actor !== authority) return "a recovery key not registered by the authority";
    } else if (e.actor !== actorId) {
      return `a key of ${actorId} added by ${e.actor}`;
    }
    return null;
  }

  async function verifySignature(entry, publicKey) {
    if (entry.v !== 1) throw new Problem("entry version is not 1");
    if (!isObject(entry.statement) || typeof entry.key_id !== "string" || typeof entry.sig !== "string") {
      throw new Problem("entry has no statement, key_id or sig");
    }
    if (entry.key_id !== (await authorKeyId(publicKey))) throw new Problem("entry names another key");
    const sig = fromBase64(entry.sig, "entry signature");
    if (sig.length !== 64) throw new Problem("entry signature is not 64 bytes");
    if (!(await ed25519Verify(publicKey, sig, utf8.encode(canonical(entry.statement))))) {
      throw new Problem("the author's signature does not verify");
    }
  }

  async function checkAuthorSignatures(entries, keys, logPublicKey, derivedKinds) {
    if (!entries.size) return failed("author_signatures", "no proven entries");
    const problems = [];
    let derived = 0;
    for (const e of [...entries.values()].sort((a, b) => a.index - b.index)) {
      if (derivedKinds.includes(e.kind)) {
        derived += 1;
        const problem = derivedProblem(e);
        if (problem) problems.push(`${describe(e)}: ${problem}`);
        continue;
      }
      try {
        if (e.actor === LOG_ACTOR) {
          await verifySignature(e.entry, logPublicKey);
          continue;
        }
        const reg = typeof e.entry.key_id === "string" ? keys.get(e.entry.key_id) : undefined;
        if (!reg) problems.push(`${describe(e)}: no valid registration of its key in the bundle`);
        else if (reg.actor !== e.actor) problems.push(`${describe(e)}: the key is ${reg.actor}'s, not ${e.actor}'s`);
        else if (!(reg.index < e.index || (reg.index === 0 && e.index === 0))) problems.push(`${describe(e)}: its key was registered later`);
        else await verifySignature(e.entry, reg.publicKey);
      } catch (err) {
        problems.push(`${describe(e)}: ${err.message}`);
      }
    }
    return result(
      "author_signatures",
      `all ${entries.size - derived} authored entries are signed by their authors' registered keys; the ${derived} derived decisions are the log's own`,
      problems,
    );
  }

  function derivedProblem(e) {
    if (e.actor !== LOG_ACTOR) return `a decision only the rules derive, authored by ${e.actor}`;
    if ("sig" in e.entry || "key_id" in e.entry) return "a derived decision carries no signature";
    if (e.statement.id !== `${e.kind}@${e.index}`) return "a derived decision's id is not kind@index";
    const sources = e.body.derived_from;
    if (!(Array.isArray(sources) && sources.length && sources.every((i) => isInt(i) && i >= 0 && i < e.index))) {
      return "a derived decision must name the earlier entries it derives from";
    }
    return null;
  }

  // --- the certificate (the bank's policy) ----------------------------------------------

  const naming = (entries, kind, number) => ofKind(entries, kind).filter((e) => e.body.certificate_number === number);

  function checkCertificate(entries, number) {
    if (!NUMBER_RE.test(number)) return failed("certificate", `${number} is not a certificate number`);
    const found = naming(entries, "certificate.issued", number);
    if (!found.length) return failed("certificate", NO_CERTIFICATE);
    const problems = [];
    if (found.length > 1) problems.push(`${found.length} certificate.issued entries name ${number}`);
    const b = found[0].body;
    if (typeof b.learner !== "string") problems.push("malformed learner");
    if (typeof b.standard_id !== "string") problems.push("malformed standard_id");
    if (!isInt(b.level)) problems.push("malformed level");
    if (!Array.isArray(b.awards)) problems.push("malformed awards");
    if (!isObject(b.assessment)) problems.push("malformed assessment");
    return result("certificate", `entry ${found[0].index} certifies ${number}: ${b.learner}, ${b.standard_id} level ${b.level}, by ${found[0].actor}`, problems);
  }

  function checkIssuer(entries, cert, authority) {
    if (!cert) return failed("issuer", NO_CERTIFICATE);
    const regs = ofKind(entries, "actor.registered").filter((e) => e.body.actor_id === cert.actor && e.index < cert.index);
    if (!regs.length) return failed("issuer", `no proven registration of the issuer ${cert.actor}`);
    const reg = regs[0], standard = cert.body.standard_id, standards = reg.body.standards;
    const problems = [];
    if (reg.body.role !== "certifier") problems.push(`the issuer is registered as ${reg.body.role}`);
    else if (!Array.isArray(standards) || !standards.includes(standard)) problems.push(`the issuer is not accredited for ${standard}`);
    if (reg.actor !== authority) problems.push(`${cert.actor} was not registered by the authority`);
    return result("issuer", `${cert.actor} is a certifying body the authority accredited for ${standard} (entry ${reg.index})`, problems);
  }

  function checkAwards(entries, cert) {
    if (!cert) return failed("awards", NO_CERTIFICATE);
    const b = cert.body, awards = b.awards;
    if (!Array.isArray(awards) || !awards.every(isInt)) return failed("awards", "the awards are not a list of entry indexes");
    const problems = [];
    if (new Set(awards).size !== awards.length) problems.push("an award is listed twice");
    for (const index of awards) {
      const a = entries.get(index);
      if (!a) {
        problems.push(`listed award ${index} is not proven`);
        continue;
      }
      if (a.kind !== "credit.awarded") {
        problems.push(`${describe(a)} is not a credit.awarded entry`);
        continue;
      }
      for (const name of ["learner", "standard_id", "level"]) {
        if (a.body[name] !== b[name]) problems.push(`award ${index} is for another ${name}`);
      }
      if (index >= cert.index) problems.push(`award ${index} was logged after the certificate`);
    }
    return result("awards", `the ${awards.length} listed awards are credit.awarded entries for ${b.learner} in ${b.standard_id} level ${b.level}`, problems);
  }

  function checkCompletions(entries, cert) {
    if (!cert) return failed("completions", NO_CERTIFICATE);
    const listed = Array.isArray(cert.body.awards) ? cert.body.awards.filter(isInt) : [];
    const problems = [];
    let checked = 0;
    for (const index of listed) {
      const a = entries.get(index);
      if (!a || a.kind !== "credit.awarded") continue;
      checked += 1;
      const c = a.body.completion_index;
      const completion = isInt(c) ? entries.get(c) : undefined;
      if (!completion) {
        problems.push(`award ${index}: its completion ${c} is not proven`);
        continue;
      }
      if (completion.kind !== "completion.recorded") {
        problems.push(`award ${index}: ${describe(completion)} is not a completion`);
        continue;
      }
      if (completion.body.learner !== cert.body.learner) problems.push(`award ${index}: the completion is another learner's`);
      if (completion.actor !== a.body.provider) problems.push(`award ${index}: the completion is by ${completion.actor}`);
      if (completion.body.course_id !== a.body.course_id) problems.push(`award ${index}: the completion is of another course`);
      if (completion.index >= index) problems.push(`award ${index}: its completion was logged after it`);
      if (canonical(a.body.derived_from ?? null) !== canonical([c])) problems.push(`award ${index}: not derived from its completion`);
    }
    return result("completions", `each of the ${checked} awards rests on a completion of the learner by the course's provider`, problems);
  }

  function checkApplication(entries, cert) {
    if (!cert) return failed("application", NO_CERTIFICATE);
    const index = cert.body.application_index;
    const app = isInt(index) ? entries.get(index) : undefined;
    if (!app) return failed("application", `the application ${index} is not proven`);
    if (app.kind !== "certificate.applied") return failed("application", `${describe(app)} is not an application`);
    const problems = [];
    for (const name of ["learner", "standard_id", "level"]) {
      if (app.body[name] !== cert.body[name]) problems.push(`the application is for another ${name}`);
    }
    if (app.index >= cert.index) problems.push("the application was logged after the certificate");
    const assessments = ofKind(entries, "assessment.recorded").filter(
      (e) => e.body.application_index === app.index && app.index < e.index && e.index < cert.index,
    );
    if (!assessments.length) return failed("application", ...problems, `no assessment of application ${app.index}`);
    const a = assessments[0];
    if (a.actor !== cert.actor) problems.push(`assessed by ${a.actor}, not the issuer`);
    if (a.body.result !== "passed") problems.push(`assessed as ${a.body.result}`);
    const stated = isObject(cert.body.assessment) ? cert.body.assessment : {};
    for (const name of ["result", "score"]) {
      if (stated[name] !== a.body[name]) problems.push(`the certificate states another ${name} than the assessment`);
    }
    return result("application", `the certificate answers application ${app.index}, assessed as passed by ${cert.actor} at entry ${a.index}`, problems);
  }

  function claimsRevocation(carried, number) {
    return carried.some(
      (e) => e.kind === "certificate.revoked" && isObject(e.statement) && isObject(e.statement.body) && e.statement.body.certificate_number === number,
    );
  }

  function checkRevocation(cert, revocation, number, treeSize, authority, claimed) {
    if (!cert || treeSize === null) {
      return failed("revocation", ...(cert ? [] : [NO_CERTIFICATE]), ...(treeSize === null ? ["no verified latest checkpoint"] : []));
    }
    if (!revocation) {
      return result("revocation", `no revocation of ${number} in the bundle (as of tree size ${treeSize})`, claimed ? ["a revocation is listed but not proven"] : []);
    }
    const problems = [];
    if (revocation.index <= cert.index) problems.push("the revocation precedes the certificate");
    if (revocation.actor !== cert.actor && revocation.actor !== authority) problems.push(`revoked by ${revocation.actor}, neither the issuer nor the authority`);
    return result("revocation", `revoked at entry ${revocation.index} by ${revocation.actor}: ${revocation.body.reason} (as of tree size ${treeSize})`, problems);
  }

  function facts(cert, revocation) {
    if (!cert) return null;
    const b = cert.body;
    return {
      certificate_number: b.certificate_number,
      learner: b.learner,
      standard_id: b.standard_id,
      level: b.level,
      issuer: cert.actor,
      issued_index: cert.index,
      issued_at: cert.entry.integrated_at,
      application_index: b.application_index ?? null,
      awards: b.awards,
      assessment: b.assessment,
      revoked_index: revocation ? revocation.index : null,
      revoked_at: revocation ? revocation.entry.integrated_at : null,
      revoked_by: revocation ? revocation.actor : null,
      revocation_reason: revocation ? revocation.body.reason : null,
    };
  }

  function withoutNulls(value) {
    if (!isObject(value)) return value;
    const out = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutNulls(v);
    return out;
  }

  function checkSummary(summary, cert, revocation, number) {
    if (!isObject(summary)) return failed("summary", "the bundle has no certificate summary");
    const f = facts(cert, revocation);
    if (!f) return failed("summary", NO_CERTIFICATE);
    const expected = {
      certificate_number: number,
      learner: f.learner,
      standard_id: f.standard_id,
      level: f.level,
      issuer: f.issuer,
      issued_index: f.issued_index,
      issued_at: f.issued_at,
      application_index: f.application_index,
      status: revocation ? "revoked" : "active",
      revoked_index: f.revoked_index,
      revocation_reason: f.revocation_reason,
    };
    const problems = Object.entries(expected)
      .filter(([name, value]) => summary[name] !== value)
      .map(([name]) => `the summary's ${name} differs from the entries`);
    const named = Object.keys(summary).sort().join(",");
    if (named !== SUMMARY_FIELDS) problems.push(`the summary has the fields ${named}, expected ${SUMMARY_FIELDS}`);
    if (isObject(summary.assessment) && Object.keys(summary.assessment).some((k) => !ASSESSMENT_FIELDS.includes(k))) {
      problems.push("the summary's assessment has unknown fields");
    }
    const sortedSet = (v) => (Array.isArray(v) && v.every(isInt) ? canonical([...new Set(v)].sort((a, b) => a - b)) : null);
    if (sortedSet(summary.awards) === null || sortedSet(summary.awards) !== sortedSet(f.awards)) problems.push("the summary's awards differ from the entry's");
    let same = false;
    try {
      same = canonical(withoutNulls(summary.assessment) ?? null) === canonical(withoutNulls(f.assessment) ?? null);
    } catch (e) {
      same = false;
    }
    if (!same) problems.push("the summary's assessment differs from the entry's");
    return result("summary", "the server's summary agrees with the signed entries", problems);
  }

  // --- the verdict ----------------------------------------------------------------------

  async function verify(bundleText, verifierKey, number, derivedKinds) {
    const key = await parseVerifierKey(verifierKey); // the key the page shows: must parse
    let bundle;
    try {
      bundle = JSON.parse(bundleText);
    } catch (e) {
      bundle = null;
    }
    if (!isObject(bundle)) {
      return { status: "invalid", checks: [failed("bundle", "the bundle is not a JSON object")], facts: null, credits: [], treeSize: null };
    }
    // 1. the latest checkpoint
    let latest = null, first;
    try {
      latest = await openCheckpoint(bundle.checkpoint, key);
      first = result("checkpoint", `the latest checkpoint (${latest.origin}, tree size ${latest.size}) is signed by the log key`, []);
    } catch (e) {
      first = failed("checkpoint", `the latest checkpoint does not verify with the log key: ${e.message}`);
    }
    // 2. receipts and inclusion
    const read = await readReceipts(bundle.entries, key);
    const entries = read.entries;
    // 3. consistency with the latest checkpoint
    const consistency = await checkConsistency(bundle.consistency, entries, latest);
    // 4. the key chain, 5. author signatures
    const traced = await traceKeys(entries);
    const authors = await checkAuthorSignatures(entries, traced.keys, key.publicKey, derivedKinds);
    // the certificate, by the bank's policy
    const certCheck = checkCertificate(entries, number);
    const found = NUMBER_RE.test(number) ? naming(entries, "certificate.issued", number) : [];
    const cert = found.length ? found[0] : null;
    const treeSize = latest ? latest.size : null;
    const revs = cert && treeSize !== null ? naming(entries, "certificate.revoked", number) : [];
    const revocation = revs.length ? revs[0] : null;
    const checks = [
      first,
      ...read.checks,
      consistency,
      traced.check,
      authors,
      certCheck,
      checkIssuer(entries, cert, traced.authority),
      checkAwards(entries, cert),
      checkCompletions(entries, cert),
      checkApplication(entries, cert),
      checkRevocation(cert, revocation, number, treeSize, traced.authority, claimsRevocation(read.carried, number)),
      checkSummary(bundle.certificate, cert, revocation, number),
    ];
    const allOk = checks.every((c) => c.ok);
    const credits = cert && Array.isArray(cert.body.awards)
      ? cert.body.awards.map((i) => entries.get(i)).filter((a) => a && a.kind === "credit.awarded").map((a) => ({
          index: a.index,
          unit_code: a.body.unit_code,
          credits: a.body.credits,
          mode: a.body.mode,
          course_id: a.body.course_id,
          provider: a.body.provider,
          completed_at: a.body.completed_at,
        }))
      : [];
    return {
      status: !allOk ? "invalid" : revocation ? "revoked" : "valid",
      checks,
      facts: allOk ? facts(cert, revocation) : null,
      credits: allOk ? credits : [],
      treeSize,
    };
  }

  window.creditbankVerifier = { verify };
})();
