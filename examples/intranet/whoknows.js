'use strict';
// The intranet's side of the gRPC connection to whoknows: the protos loaded
// from proto/ at start, TLS with the company CA, and the service account's
// bearer token on every call. The token is read from its file per call (the
// identity provider's client-credentials token is rotated by rewriting the
// file); it never leaves this process.

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const DEFAULT_PROTO_DIR = path.join(__dirname, '..', '..', 'proto');

function loadExpertiseService(protoDir) {
  const definition = protoLoader.loadSync('whoknows/v1/expertise.proto', {
    includeDirs: [protoDir],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).whoknows.v1.Expertise;
}

// options: {address, caFile, tokenFile, protoDir?, deadlineMs?}
function connect(options) {
  const Expertise = loadExpertiseService(options.protoDir || DEFAULT_PROTO_DIR);
  const tokenFile = options.tokenFile;
  const perCall = grpc.credentials.createFromMetadataGenerator((_params, done) => {
    fs.readFile(tokenFile, 'utf8', (err, token) => {
      if (err) return done(err);
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${token.trim()}`);
      done(null, metadata);
    });
  });
  const channel = grpc.credentials.combineChannelCredentials(
    grpc.credentials.createSsl(fs.readFileSync(options.caFile)), perCall);
  const client = new Expertise(options.address, channel);
  const deadlineMs = options.deadlineMs || 3000;

  // Calls `method` and resolves with {response} or rejects with the
  // grpc-js error (code, details, metadata with the trailers).
  function call(method, request) {
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + deadlineMs);
      client[method](request, { deadline }, (err, response) => {
        if (err) reject(err);
        else resolve(response);
      });
    });
  }

  return {
    hasMethod: (name) => typeof client[name] === 'function',
    findExperts: (request) => call('FindExperts', request),
    suggestForPost: (request) => call('SuggestForPost', request),
    close: () => client.close(),
  };
}

module.exports = { connect, loadExpertiseService, status: grpc.status };
