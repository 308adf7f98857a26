import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../identity/auth.decorators';
import { ReceiptKeysService } from './receipt-keys.service';

/** The public keys that verify receipts (JWKS), for anyone: outside /api/v1, no token. */
@ApiTags('receipts')
@Controller('.well-known')
export class ReceiptKeysController {
  constructor(private readonly keys: ReceiptKeysService) {}

  @Get('doorman-receipt-keys')
  @Public()
  @Header('cache-control', 'public, max-age=300')
  jwks() {
    return this.keys.jwks();
  }
}
