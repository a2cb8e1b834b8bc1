/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bytes the edu payload moves, shared by the payload (which fills and
 * checks them in the guest) and clients_test (which reads the last copy
 * out of guest RAM and checks it again): byte @i of the pattern @seed.
 */
#ifndef _EDU_PAYLOAD_PATTERN_H
#define _EDU_PAYLOAD_PATTERN_H

/* Guest-physical layout of the payload's buffers */
#define PAYLOAD_SRC		0x400000u
#define PAYLOAD_DST(k)		(0x500000u + (k) * 0x10000u)
#define PAYLOAD_MAX_EDUS	4
/* The bytes after a copy stay at this value */
#define PAYLOAD_FILL		0x5a
#define PAYLOAD_ROUNDS		6

static inline unsigned char payload_byte(unsigned int seed, unsigned int i)
{
	unsigned int x = seed * 0x9e3779b1u + i * 0x85ebca77u;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x >> 24;
}

/* Round @round: how many bytes, at which offset of edu number @k's buffer */
static inline unsigned int payload_len(unsigned int round)
{
	return 3968 - (round * 131) % 1024;
}

static inline unsigned int payload_off(unsigned int round, unsigned int k)
{
	return ((round + k) * 24) % 96;
}

#endif /* _EDU_PAYLOAD_PATTERN_H */
