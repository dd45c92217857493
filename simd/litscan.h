/* litscan.h: placeholder while it is written. */
#ifndef CODE_LITSCAN_H
#define CODE_LITSCAN_H
#endif
