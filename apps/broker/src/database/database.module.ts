import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { dataSourceOptions, migrate } from './data-source';

/** Migrations run at start, under an advisory lock, before anything else touches the schema. */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [BROKER_CONFIG],
      useFactory: (config: BrokerConfig) => dataSourceOptions(config.DATABASE_URL),
      dataSourceFactory: async (options) => {
        const ds = await new DataSource(options!).initialize();
        await migrate(ds);
        return ds;
      },
    }),
  ],
})
export class DatabaseModule {}
