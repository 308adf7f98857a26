import { ConfigError, loadBrokerConfig } from './config/broker.config';
import { createBrokerApp } from './bootstrap';

async function main(): Promise<void> {
  let config;
  try {
    config = loadBrokerConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const app = await createBrokerApp(config);
  await app.listen(config.PORT, config.HOST);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `broker failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
