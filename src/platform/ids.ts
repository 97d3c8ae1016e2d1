import mongoose from 'mongoose';
import { z } from 'zod';

/** An id given to a service: an ObjectId, or its 24-character hex form (from a form, a URL or a seed). */
export const objectIdInput = z.union([z.instanceof(mongoose.Types.ObjectId), z.string().regex(/^[0-9a-f]{24}$/i, 'must be a 24-character hex id')]);
