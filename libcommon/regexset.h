/* regexset.h: placeholder while it is written. */
#ifndef CODE_REGEXSET_H
#define CODE_REGEXSET_H
#endif
