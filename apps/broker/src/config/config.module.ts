import { type DynamicModule, Global, Module } from '@nestjs/common';
import { SealKeyring } from '@doorman/crypto';
import { BROKER_CONFIG, type BrokerConfig } from './broker.config';
import { SEAL_KEYRING } from './seal-keyring';

@Global()
@Module({})
export class BrokerConfigModule {
  static forRoot(config: BrokerConfig): DynamicModule {
    return {
      module: BrokerConfigModule,
      providers: [
        { provide: BROKER_CONFIG, useValue: config },
        {
          provide: SEAL_KEYRING,
          useValue: SealKeyring.fromConfig(
            config.BROKER_SEAL_PRIVATE_KEY,
            config.BROKER_SEAL_PREVIOUS_PRIVATE_KEYS,
          ),
        },
      ],
      exports: [BROKER_CONFIG, SEAL_KEYRING],
    };
  }
}
