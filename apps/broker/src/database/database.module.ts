import { Global, Module } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { ClsModule } from 'nestjs-cls';
import { DataSource } from 'typeorm';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { AfterCommit } from './after-commit';
import { dataSourceOptions, migrate } from './data-source';

/**
 * The database, migrated at start under an advisory lock before anything else touches the
 * schema, and the ambient transactions over it: `@Transactional()` from
 * `@nestjs-cls/transactional` (the NestJS community's CLS library; its TypeORM adapter keeps
 * the transaction's EntityManager in async-local storage, so no method passes one by hand).
 */
@Global()
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
    ClsModule.forRoot({
      global: true,
      plugins: [
        new ClsPluginTransactional({
          adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
        }),
      ],
    }),
  ],
  providers: [AfterCommit],
  exports: [AfterCommit],
})
export class DatabaseModule {}
