import type { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { EntityManager } from 'typeorm';

/**
 * The ambient transaction. A service method marked `@Transactional()` opens one; every
 * repository call inside it (however deep) runs on its connection through `txHost.tx`, and
 * outside any transaction `tx` is the pool's own manager. Only repositories inject it, as
 * `TransactionHost<TransactionalAdapterTypeOrm>` (a class, so Nest can resolve it).
 */
export type TxHost = TransactionHost<TransactionalAdapterTypeOrm>;

/** The manager a repository runs on: the ambient transaction's, or the pool's. */
export type Tx = EntityManager;
