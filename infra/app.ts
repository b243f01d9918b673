import { createBrokerApp } from './broker-app.js';

// `npx cdk synth` runs this file (cdk.json). Context: see infra/README.md.
createBrokerApp().app.synth();
