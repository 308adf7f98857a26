import { type DynamicModule, Global, Module } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from './broker.config';

@Global()
@Module({})
export class BrokerConfigModule {
  static forRoot(config: BrokerConfig): DynamicModule {
    return {
      module: BrokerConfigModule,
      providers: [{ provide: BROKER_CONFIG, useValue: config }],
      exports: [BROKER_CONFIG],
    };
  }
}
