import { z } from 'zod';
import type { HttpApp } from '../../http/server.js';
import type { Services } from '../../services.js';
import { authorize } from '../../../workflows/roles.js';
import { actorOf } from '../guard.js';
import { presetBody, presetSchema, problems } from '../schemas.js';
import { SECURITY } from './security.js';

export function presetRoutes(api: HttpApp, s: Services): void {
  api.get(
    '/presets',
    {
      schema: {
        tags: ['presets'],
        summary: 'The presets a lab can be requested from',
        security: SECURITY,
        response: { 200: z.object({ presets: z.array(presetSchema) }), ...problems.common },
      },
    },
    async (request) => {
      await authorize(s, actorOf(request), 'read');
      return { presets: s.catalog.presets.map(presetBody) };
    },
  );
}
