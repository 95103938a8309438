package queue

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// A stored item is one bbolt value, so the item and its meta are written in
// one step:
//
//	[0]    format version (recordVersion)
//	[1:5]  CRC-32C of everything after it, big-endian
//	[5:]   uvarint len(meta), meta, payload
//
// bbolt checksums only its meta pages; the CRC lets Get tell a damaged
// payload from a good one instead of sending garbage.
const (
	recordVersion = 1
	recordHeader  = 5
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func encodeRecord(payload, meta []byte) []byte {
	n := recordHeader + binary.MaxVarintLen64 + len(meta) + len(payload)
	rec := make([]byte, recordHeader, n)
	rec[0] = recordVersion
	rec = binary.AppendUvarint(rec, uint64(len(meta)))
	rec = append(rec, meta...)
	rec = append(rec, payload...)
	binary.BigEndian.PutUint32(rec[1:5], crc32.Checksum(rec[recordHeader:], castagnoli))
	return rec
}

// decodeRecord checks rec and returns sub-slices of it.
func decodeRecord(rec []byte) (payload, meta []byte, err error) {
	if len(rec) < recordHeader+1 {
		return nil, nil, fmt.Errorf("%w: record of %d bytes is too short", ErrCorrupt, len(rec))
	}
	if rec[0] != recordVersion {
		return nil, nil, fmt.Errorf("%w: record format version %d, this build reads %d", ErrCorrupt, rec[0], recordVersion)
	}
	if got, want := crc32.Checksum(rec[recordHeader:], castagnoli), binary.BigEndian.Uint32(rec[1:5]); got != want {
		return nil, nil, fmt.Errorf("%w: record checksum %08x, stored %08x", ErrCorrupt, got, want)
	}
	payload, meta, ok := splitRecord(rec)
	if !ok {
		return nil, nil, fmt.Errorf("%w: record meta length out of range", ErrCorrupt)
	}
	return payload, meta, nil
}

func splitRecord(rec []byte) (payload, meta []byte, ok bool) {
	if len(rec) < recordHeader {
		return nil, nil, false
	}
	body := rec[recordHeader:]
	mlen, n := binary.Uvarint(body)
	if n <= 0 || mlen > uint64(len(body)-n) {
		return nil, nil, false
	}
	end := n + int(mlen)
	return body[end:len(body):len(body)], body[n:end:end], true
}

// recordSize is the payload-plus-meta size of a stored record, read from its
// header without checking the CRC; a damaged header counts the whole record,
// and Get will report it.
func recordSize(rec []byte) int64 {
	payload, meta, ok := splitRecord(rec)
	if !ok {
		return int64(len(rec))
	}
	return int64(len(payload) + len(meta))
}
