// Verify a credential with Digital Bazaar's Data Integrity stack (eddsa-rdfc-2022), an
// implementation independent of creditbank's. Input (argv[2]): a JSON file
// {"credential": {...}, "documents": {"<url or DID>": {...}}}: every JSON-LD context and
// DID document the verification needs; nothing is fetched. Prints {"verified": bool,
// "error": "..."} and exits 0 either way (the caller judges).
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const documents = input.documents;

async function documentLoader(url) {
  const [base, fragment] = url.split('#');
  const document = documents[base];
  if(document === undefined) {
    throw new Error(`document not given (no network): ${url}`);
  }
  if(fragment === undefined) {
    return {contextUrl: null, documentUrl: url, document};
  }
  const method = (document.verificationMethod || []).find(m => m.id === url);
  if(method === undefined) {
    throw new Error(`no verification method ${url}`);
  }
  return {
    contextUrl: null,
    documentUrl: url,
    document: {'@context': 'https://w3id.org/security/multikey/v1', ...method}
  };
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
let result;
try {
  result = await vc.verifyCredential({
    credential: input.credential,
    suite,
    documentLoader,
    checkStatus: async () => ({verified: true}),
  });
} catch(e) {
  result = {verified: false, error: {message: String(e && e.stack || e)}};
}
const errors = [];
const collect = r => {
  if(!r) return;
  if(r.error) errors.push(String(r.error.message || r.error));
  for(const p of (r.results || [])) collect(p);
};
collect(result);
for(const p of (result.results || [])) {
  if(p.error) errors.push(String(p.error.message || p.error));
}
console.log(JSON.stringify({verified: !!result.verified, error: errors.join('; ')}));
