/* logline.c: placeholder while it is written; replaced, never shipped. */
