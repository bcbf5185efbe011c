// A relying party that knows only the standards: did:web (resolution, §3.2), VC-JOSE-COSE (a vc+jwt
// checked with the `jose` library) and W3C Bitstring Status List v1.0. It imports nothing of the
// registry's code. Input on stdin: {"credentials": [JWS, ...], "origins": {"https://public": "http://local"}}
// (`origins` stands in for DNS and TLS in a test: a public origin is fetched from a local server).
// Output on stdout: one result per credential, {ok, issuer, kid, statuses: {purpose: bool}, error}.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { decodeProtectedHeader, importJWK, jwtVerify } from "jose";

const MINIMUM_ENTRIES = 131072; // Bitstring Status List v1.0 §3.2, step 2
const input = JSON.parse(readFileSync(0, "utf8"));
const origins = input.origins ?? {};

async function fetchPublic(url, accept) {
  let local = url;
  for (const [publicOrigin, localOrigin] of Object.entries(origins)) {
    if (url.startsWith(publicOrigin + "/")) local = localOrigin + url.slice(publicOrigin.length);
  }
  const response = await fetch(local, { headers: { accept } });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response;
}

// did:web §3.2: ':' separates path segments, a bare host's document is at /.well-known/did.json.
function didWebDocumentUrl(did) {
  const parts = did.split(":");
  if (parts[0] !== "did" || parts[1] !== "web" || parts.length < 3) throw new Error(`not a did:web DID: ${did}`);
  const host = decodeURIComponent(parts[2]);
  const path = parts.length > 3 ? parts.slice(3).map(decodeURIComponent).join("/") : ".well-known";
  return `https://${host}/${path}/did.json`;
}

const documents = new Map();
async function resolve(did) {
  if (!documents.has(did)) {
    const document = await (await fetchPublic(didWebDocumentUrl(did), "application/did+json, application/json")).json();
    if (document.id !== did) throw new Error(`the document of ${did} names itself ${document.id}`);
    documents.set(did, document);
  }
  return documents.get(did);
}

// The key a kid (a DID URL) names, if its DID document lists it as an assertion method.
async function assertionKey(kid) {
  const did = kid.split("#")[0];
  const document = await resolve(did);
  const method = (document.verificationMethod ?? []).find((m) => m.id === kid);
  if (!method) throw new Error(`${did} has no verification method ${kid}`);
  if (!(document.assertionMethod ?? []).includes(kid)) throw new Error(`${kid} is not an assertion method`);
  return importJWK(method.publicKeyJwk, "EdDSA");
}

// VC-JOSE-COSE: a compact JWS, typ vc+jwt, signed by a key of the issuer's DID document.
async function verifyVcJwt(token) {
  const header = decodeProtectedHeader(token);
  if (typeof header.kid !== "string" || !header.kid.startsWith("did:")) throw new Error("kid is not a DID URL");
  const key = await assertionKey(header.kid);
  const { payload } = await jwtVerify(token, key, { algorithms: ["EdDSA", "Ed25519"], typ: "vc+jwt" });
  const issuer = typeof payload.issuer === "string" ? payload.issuer : payload.issuer?.id;
  if (header.kid.split("#")[0] !== issuer) throw new Error(`kid ${header.kid} is not a key of issuer ${issuer}`);
  return { payload, issuer, kid: header.kid };
}

function bitAt(encodedList, index) {
  if (!encodedList.startsWith("u")) throw new Error("encodedList is not multibase base64url");
  const bits = gunzipSync(Buffer.from(encodedList.slice(1), "base64url"));
  if (bits.length * 8 < MINIMUM_ENTRIES) throw new Error("STATUS_LIST_LENGTH_ERROR");
  if (index >= bits.length * 8) throw new Error("RANGE_ERROR");
  return ((bits[index >> 3] >> (7 - (index & 7))) & 1) === 1;
}

const lists = new Map();
async function statusOf(entry, issuer) {
  if (entry.type !== "BitstringStatusListEntry") throw new Error(`unknown status entry type ${entry.type}`);
  if (!lists.has(entry.statusListCredential)) {
    const token = await (await fetchPublic(entry.statusListCredential, "application/vc+jwt")).text();
    lists.set(entry.statusListCredential, await verifyVcJwt(token.trim()));
  }
  const list = lists.get(entry.statusListCredential);
  if (!list.payload.type.includes("BitstringStatusListCredential")) throw new Error("not a status list credential");
  if (list.issuer !== issuer) throw new Error("the status list's issuer is not the credential's");
  const subject = list.payload.credentialSubject;
  if (subject.statusPurpose !== entry.statusPurpose) throw new Error("STATUS_VERIFICATION_ERROR: purpose");
  return bitAt(subject.encodedList, Number.parseInt(entry.statusListIndex, 10));
}

const results = [];
for (const token of input.credentials) {
  const id = createHash("sha256").update(token, "ascii").digest("hex");
  try {
    const { payload, issuer, kid } = await verifyVcJwt(token);
    const entries = [payload.credentialStatus ?? []].flat();
    const statuses = {};
    for (const entry of entries) statuses[entry.statusPurpose] = await statusOf(entry, issuer);
    results.push({ id, ok: true, issuer, kid, statuses });
  } catch (error) {
    results.push({ id, ok: false, error: String(error?.code ?? error?.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(results) + "\n");
