// SPDX-License-Identifier: GPL-2.0
/*
 * A guest's own driver of QEMU's edu device, as a bare-metal multiboot
 * payload: the guest of the QEMU that clients_test starts with edu
 * devices passed through (-device vfio-pci). No OS: 32-bit protected mode,
 * paging off, polled I/O.
 *
 * It scans PCI (configuration mechanism #1) for every edu (1234:11e8),
 * turns on memory decoding and bus mastering, and chains DMA through all
 * of them, round after round: a pattern in RAM, copied by the first edu
 * into its buffer and out to a RAM buffer of its own, from there by the
 * next edu, and so on; each RAM copy is compared byte for byte with the
 * pattern, and the bytes around it must be untouched. In the outer world
 * each of these transfers is a DMA of the passed-through device into the
 * VMM's RAM, through the container of the VFIO backend under test.
 *
 * It talks to the test over COM1, one line at a time:
 *   payload: ...             progress
 *   edu BB:DD.F bar 0x...    a device found
 *   run N edus E rounds R dmas D bytes B errors X final 0x... seed S len L
 *                            a run's summary; the last copy (seed S, L
 *                            bytes) stays at 0x... for the test to read
 *   ready                    waiting for a command byte:
 *     r   run again (rescan first)
 *     u   power off every hot-plug slot that holds an edu (PCIe native
 *         hot-plug: QEMU then completes a pending device_del)
 *     p   power on every hot-plug slot that has a device, rescan
 *     q   exit QEMU through isa-debug-exit: 0x10 when every run passed,
 *         0x11 otherwise (QEMU's status: 33 or 35)
 *
 * QEMU 7.2's edu aborts QEMU on a transfer that ends at the very end of
 * its 4 KiB buffer: every transfer here ends before (pattern.h).
 */
#include <stdint.h>

#include "pattern.h"

#define COM1		0x3f8
#define DEBUG_EXIT	0xf4
#define PCI_ADDR	0xcf8
#define PCI_DATA	0xcfc

#define EDU_VENDOR_DEVICE	0x11e81234u
#define EDU_ID			0x010000edu
#define EDU_BUF			0x40000u
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_CNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_DMA_START		0x1
#define EDU_DMA_TO_RAM		0x2
/* MMIO reads of the command register before a transfer counts as hung */
#define EDU_DMA_SPINS		50000000u

#define PCI_CMD_MEMORY		0x2
#define PCI_CMD_MASTER		0x4
#define PCI_CAP_EXP		0x10
#define PCI_EXP_SLTCAP		0x14
#define PCI_EXP_SLTCAP_HPC	0x40
#define PCI_EXP_SLTCTL		0x18	/* 16 bits; status above */
#define PCI_EXP_SLTCTL_PIC	0x0300
#define PCI_EXP_SLTCTL_PIC_ON	0x0100
#define PCI_EXP_SLTCTL_PIC_OFF	0x0300
#define PCI_EXP_SLTCTL_PCC	0x0400	/* set: power off */
#define PCI_EXP_SLTSTA_PDS	0x0040

#define MAX_BUS			8

struct edu {
	unsigned int bdf;	/* bus << 8 | dev << 3 | fn */
	uint32_t bar;		/* BAR0's address */
};

static struct edu edus[PAYLOAD_MAX_EDUS];
static unsigned int nedus;
static unsigned int failures;

/* Port I/O, MMIO, and a barrier for RAM the devices write */
static inline void port_write8(uint16_t port, uint8_t val)
{
	asm volatile("outb %b0, %w1" : : "a"(val), "Nd"(port));
}

static inline uint8_t port_read8(uint16_t port)
{
	uint8_t val;

	asm volatile("inb %w1, %b0" : "=a"(val) : "Nd"(port));
	return val;
}

static inline void port_write32(uint16_t port, uint32_t val)
{
	asm volatile("outl %0, %w1" : : "a"(val), "Nd"(port));
}

static inline uint32_t port_read32(uint16_t port)
{
	uint32_t val;

	asm volatile("inl %w1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

static inline uint32_t mmio_read32(uint32_t addr)
{
	uint32_t val;

	asm volatile("movl (%1), %0" : "=r"(val) : "r"(addr) : "memory");
	return val;
}

static inline void mmio_write32(uint32_t addr, uint32_t val)
{
	asm volatile("movl %0, (%1)" : : "r"(val), "r"(addr) : "memory");
}

static inline void barrier(void)
{
	asm volatile("" : : : "memory");
}

static void serial_init(void)
{
	port_write8(COM1 + 1, 0x00);	/* no interrupts */
	port_write8(COM1 + 3, 0x80);	/* DLAB */
	port_write8(COM1 + 0, 0x01);	/* 115200 */
	port_write8(COM1 + 1, 0x00);
	port_write8(COM1 + 3, 0x03);	/* 8N1 */
	port_write8(COM1 + 2, 0xc7);	/* FIFO on, cleared */
	port_write8(COM1 + 4, 0x0b);
}

static void putc(char c)
{
	while (!(port_read8(COM1 + 5) & 0x20))
		;
	port_write8(COM1, c);
}

static char getc(void)
{
	while (!(port_read8(COM1 + 5) & 0x01))
		;
	return port_read8(COM1);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void put_dec(uint32_t v)
{
	char buf[12];
	int i = 0;

	do {
		buf[i++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (i)
		putc(buf[--i]);
}

static void put_hex(uint32_t v, int digits)
{
	while (digits--)
		putc("0123456789abcdef"[(v >> (4 * digits)) & 0xf]);
}

static uint32_t cfg_read(unsigned int bdf, unsigned int reg)
{
	port_write32(PCI_ADDR, 0x80000000u | bdf << 8 | (reg & 0xfc));
	return port_read32(PCI_DATA);
}

static void cfg_write(unsigned int bdf, unsigned int reg, uint32_t val)
{
	port_write32(PCI_ADDR, 0x80000000u | bdf << 8 | (reg & 0xfc));
	port_write32(PCI_DATA, val);
}

static void cfg_write16(unsigned int bdf, unsigned int reg, uint16_t val)
{
	uint32_t old = cfg_read(bdf, reg);

	if (reg & 2)
		cfg_write(bdf, reg, (old & 0xffff) | (uint32_t)val << 16);
	else
		cfg_write(bdf, reg, (old & 0xffff0000u) | val);
}

static void put_bdf(unsigned int bdf)
{
	put_hex(bdf >> 8, 2);
	putc(':');
	put_hex((bdf >> 3) & 0x1f, 2);
	putc('.');
	put_hex(bdf & 7, 1);
}

/* The offset of the PCI Express capability of @bdf, or 0 */
static unsigned int pcie_cap(unsigned int bdf)
{
	unsigned int pos, n;

	if (!(cfg_read(bdf, 0x04) & (0x10u << 16)))
		return 0;
	pos = cfg_read(bdf, 0x34) & 0xfc;
	for (n = 0; pos && n < 48; n++) {
		uint32_t cap = cfg_read(bdf, pos);

		if ((cap & 0xff) == PCI_CAP_EXP)
			return pos;
		pos = (cap >> 8) & 0xfc;
	}
	return 0;
}

/* The bridge above bus @bus, whose secondary bus it is (0 for none) */
static int bridge_of(unsigned int bus, unsigned int *bridge)
{
	unsigned int bdf;

	for (bdf = 0; bdf < 256; bdf++) {
		uint32_t id = cfg_read(bdf, 0);

		if (id == 0xffffffffu || !id)
			continue;
		if (((cfg_read(bdf, 0x0c) >> 16) & 0x7f) != 1)
			continue;
		if (((cfg_read(bdf, 0x18) >> 8) & 0xff) == bus) {
			*bridge = bdf;
			return 1;
		}
	}
	return 0;
}

/*
 * BAR0 of an edu: the firmware assigned it at boot; a device plugged in
 * later gets the start of its bridge's memory window (the window the
 * firmware sized for the slot's hot-plug).
 */
static uint32_t edu_bar(unsigned int bdf)
{
	uint32_t bar = cfg_read(bdf, 0x10) & ~0xfu;
	unsigned int bridge;

	if (bar)
		return bar;
	if (!(bdf >> 8) || !bridge_of(bdf >> 8, &bridge))
		return 0;
	bar = (cfg_read(bridge, 0x20) & 0xfff0) << 16;
	cfg_write(bdf, 0x10, bar);
	return cfg_read(bdf, 0x10) & ~0xfu;
}

static void scan(void)
{
	unsigned int bus, dev, fn, bdf;
	uint32_t bar;

	nedus = 0;
	for (bus = 0; bus < MAX_BUS; bus++) {
		for (dev = 0; dev < 32; dev++) {
			for (fn = 0; fn < 8; fn++) {
				bdf = bus << 8 | dev << 3 | fn;
				if (cfg_read(bdf, 0) != EDU_VENDOR_DEVICE)
					continue;
				if (nedus == PAYLOAD_MAX_EDUS)
					continue;
				bar = edu_bar(bdf);
				puts("edu ");
				put_bdf(bdf);
				puts(" bar 0x");
				put_hex(bar, 8);
				putc('\n');
				if (!bar)
					continue;
				cfg_write16(bdf, 0x04, cfg_read(bdf, 0x04) |
					    PCI_CMD_MEMORY | PCI_CMD_MASTER);
				edus[nedus].bdf = bdf;
				edus[nedus].bar = bar;
				nedus++;
			}
		}
	}
}

static int edu_dma(struct edu *e, uint32_t src, uint32_t dst, uint32_t len,
		   uint32_t dir)
{
	unsigned int spins;

	barrier();
	mmio_write32(e->bar + EDU_DMA_SRC, src);
	mmio_write32(e->bar + EDU_DMA_DST, dst);
	mmio_write32(e->bar + EDU_DMA_CNT, len);
	mmio_write32(e->bar + EDU_DMA_CMD, EDU_DMA_START | dir);
	for (spins = 0; spins < EDU_DMA_SPINS; spins++)
		if (!(mmio_read32(e->bar + EDU_DMA_CMD) & EDU_DMA_START))
			return 0;
	return -1;
}

static void fail(const char *what, unsigned int k, unsigned int at)
{
	puts("payload: FAIL: ");
	puts(what);
	puts(" edu ");
	put_dec(k);
	puts(" at ");
	put_dec(at);
	putc('\n');
	failures++;
}

/* Does the RAM at @buf hold pattern @seed for @len bytes, fill after? */
static int check(const uint8_t *buf, unsigned int seed,
		 unsigned int len, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		if (buf[i] != payload_byte(seed, i)) {
			fail("data differs", k, i);
			return -1;
		}
	}
	for (; i < 4096; i++) {
		if (buf[i] != PAYLOAD_FILL) {
			fail("wrote past the end", k, i);
			return -1;
		}
	}
	return 0;
}

static void run_rounds(unsigned int nrun)
{
	uint8_t *src = (uint8_t *)PAYLOAD_SRC;
	unsigned int round, k, i, seed = 0, len = 0, errors = 0;
	unsigned int dmas = 0, bytes = 0;
	uint32_t from;

	for (round = 0; round < PAYLOAD_ROUNDS && nedus; round++) {
		seed = nrun * 1000 + round * 16 + 1;
		len = payload_len(round);
		for (i = 0; i < 4096; i++)
			src[i] = i < len ? payload_byte(seed, i) : PAYLOAD_FILL;
		from = PAYLOAD_SRC;
		for (k = 0; k < nedus; k++) {
			uint8_t *dst = (uint8_t *)PAYLOAD_DST(k);
			uint32_t dev = EDU_BUF + payload_off(round, k);

			for (i = 0; i < 4096; i++)
				dst[i] = PAYLOAD_FILL;
			if (edu_dma(&edus[k], from, dev, len, 0) ||
			    edu_dma(&edus[k], dev, PAYLOAD_DST(k), len,
				    EDU_DMA_TO_RAM)) {
				fail("DMA hung", k, round);
				errors++;
				break;
			}
			/* The device wrote @dst: read it from memory */
			barrier();
			dmas += 2;
			bytes += 2 * len;
			if (check(dst, seed, len, k)) {
				errors++;
				break;
			}
			from = PAYLOAD_DST(k);
		}
	}
	puts("run ");
	put_dec(nrun);
	puts(" edus ");
	put_dec(nedus);
	puts(" rounds ");
	put_dec(round);
	puts(" dmas ");
	put_dec(dmas);
	puts(" bytes ");
	put_dec(bytes);
	puts(" errors ");
	put_dec(errors);
	puts(" final 0x");
	put_hex(nedus ? PAYLOAD_DST(nedus - 1) : 0, 8);
	puts(" seed ");
	put_dec(seed);
	puts(" len ");
	put_dec(len);
	putc('\n');
	if (!nedus)
		failures++;
}

/* Hot-plug slots (PCIe root ports) on bus 0: power them off or on */
static void slots_power(int on)
{
	unsigned int bdf, pos;
	uint32_t ctl;

	for (bdf = 0; bdf < 256; bdf++) {
		if (cfg_read(bdf, 0) == 0xffffffffu)
			continue;
		if (((cfg_read(bdf, 0x0c) >> 16) & 0x7f) != 1)
			continue;
		pos = pcie_cap(bdf);
		if (!pos || !(cfg_read(bdf, pos + PCI_EXP_SLTCAP) &
			      PCI_EXP_SLTCAP_HPC))
			continue;
		ctl = cfg_read(bdf, pos + PCI_EXP_SLTCTL);
		if (!(ctl >> 16 & PCI_EXP_SLTSTA_PDS))
			continue;
		ctl &= 0xffff & ~(PCI_EXP_SLTCTL_PIC | PCI_EXP_SLTCTL_PCC);
		ctl |= on ? PCI_EXP_SLTCTL_PIC_ON :
			    PCI_EXP_SLTCTL_PIC_OFF | PCI_EXP_SLTCTL_PCC;
		/* Status bits are write-1-to-clear: write none */
		cfg_write16(bdf, pos + PCI_EXP_SLTCTL, ctl);
		puts(on ? "slot on " : "slot off ");
		put_bdf(bdf);
		putc('\n');
	}
}

void payload_main(void)
{
	unsigned int nrun = 0;

	serial_init();
	puts("payload: edu payload started\n");
	scan();
	run_rounds(nrun++);
	for (;;) {
		puts("ready\n");
		switch (getc()) {
		case 'r':
			scan();
			run_rounds(nrun++);
			break;
		case 'u':
			slots_power(0);
			break;
		case 'p':
			slots_power(1);
			break;
		case 'q':
			puts(failures ? "result fail\n" : "result pass\n");
			port_write8(DEBUG_EXIT, failures ? 0x11 : 0x10);
			break;
		default:
			break;
		}
	}
}
