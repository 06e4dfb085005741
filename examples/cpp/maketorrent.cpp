// maketorrent: makes a .torrent through the RAII wrapper in bitgocho.hpp, then reads it back.
//
//   c++ -std=c++17 maketorrent.cpp $(pkg-config --cflags --libs bitgocho) -o maketorrent
//   ./maketorrent <file-or-directory> <announce-url> <out.torrent> [v1|v2|hybrid]
//
// Prints the name, info-hash, piece count, file count and size of the written torrent.
#include "bitgocho.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>

static uint32_t parse_version(const std::string &v) {
    if (v == "v1") return BITGOCHO_META_V1;
    if (v == "v2") return BITGOCHO_META_V2;
    if (v == "hybrid") return BITGOCHO_META_HYBRID;
    throw std::invalid_argument("unknown version " + v + " (v1, v2 or hybrid)");
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 5) {
        std::cerr << "usage: " << argv[0] << " <file-or-directory> <announce-url> <out.torrent> [v1|v2|hybrid]\n";
        return 2;
    }
    try {
        bitgocho::torrent_maker maker(argv[1]);
        maker.announce(argv[2]).comment("made by the libbitgocho C++ example");
        if (argc == 5) maker.version(parse_version(argv[4]));
        uint64_t calls = 0, last_done = 0, last_total = 0;
        maker.write(argv[3], [&](uint64_t done, uint64_t total) {
            calls++;
            last_done = done;
            last_total = total;
        });
        std::cerr << "hashed " << last_done << " of " << last_total << " bytes (" << calls << " progress calls)\n";

        std::ifstream in(argv[3], std::ios::binary);
        std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        bitgocho::metainfo mi(data);
        std::cout << "name: " << mi.name() << "\n"
                  << "info hash: " << mi.info_hash_hex() << "\n"
                  << "pieces: " << mi.piece_count() << "\n"
                  << "files: " << mi.file_count() << "\n"
                  << "size: " << mi.total_size() << "\n";
        if (last_done != last_total) throw std::runtime_error("progress did not reach the total");
    } catch (const bitgocho::error &e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception &e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
