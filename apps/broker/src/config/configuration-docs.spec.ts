import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectorEnvSchema } from '../../../connector/src/config/connector.config';
import { BrokerConfigSchema } from './broker.config';

/**
 * docs/configuration.md is written by hand, so a variable added to either schema without a line
 * there would go unexplained: this names each one that is missing.
 */
describe('docs/configuration.md', () => {
  const docs = readFileSync(join(__dirname, '../../../../docs/configuration.md'), 'utf8');
  const [broker, connector] = docs.split(/^## Connector/m);

  it.each(Object.keys(BrokerConfigSchema.shape))('documents the broker variable %s', (name) => {
    expect(broker).toContain(`\`${name}\``);
  });

  it.each(Object.keys(ConnectorEnvSchema.shape))('documents the connector variable %s', (name) => {
    expect(connector).toContain(`\`${name}\``);
  });
});
