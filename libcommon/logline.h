/* logline.h: placeholder while it is written. */
#ifndef CODE_LOGLINE_H
#define CODE_LOGLINE_H
#endif
