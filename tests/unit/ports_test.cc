// Ports and the plug pattern: an unplugged output discards, an unplugged input reads nothing;
// fan-out shares frames; an input takes one link; types are checked when attaching.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/test_processors.h"

namespace streamlib {
namespace {

using ::testing::HasSubstr;
using testing::TestMerge;
using testing::TestRelay;

std::shared_ptr<internal::LinkChannelBase> channel_from(const OutputPortBase& out, const std::string& id,
                                                        LinkConfig config = {}) {
  return out.make_channel(LinkId(id), "a.out", "b.in", config, std::make_shared<Notifier>());
}

DataFrame frame(std::uint64_t n) {
  WritableDataFrame w("t", 0);
  w.set_frame_number(n);
  return std::move(w).freeze();
}

TEST(PortsTest, UnpluggedOutputDiscardsAndCountsUnpluggedInputReadsNothing) {
  TestRelay relay;
  EXPECT_FALSE(relay.out.is_connected());
  EXPECT_EQ(relay.out.link_count(), 0u);
  relay.out.push(frame(1));  // no crash, no check needed by the processor
  relay.out.push(frame(2));
  EXPECT_EQ(relay.out.plug_discards(), 2u);
  EXPECT_FALSE(relay.in.is_connected());
  EXPECT_FALSE(relay.in.has_data());
  EXPECT_EQ(relay.in.read(), std::nullopt);
  EXPECT_EQ(relay.in.drain([](DataFrame&&) {}), 0u);
}

TEST(PortsTest, AttachReplacesThePlugAndDetachPutsItBack) {
  TestRelay producer;
  TestRelay consumer;
  auto ch = channel_from(producer.out, "l1");
  ASSERT_TRUE(producer.out.attach(LinkId("l1"), ch));
  ASSERT_TRUE(consumer.in.attach(LinkId("l1"), ch));
  producer.out.push(frame(7));
  ASSERT_TRUE(consumer.in.has_data());
  EXPECT_EQ(consumer.in.read()->frame_number(), 7u);
  EXPECT_EQ(producer.out.plug_discards(), 0u);

  EXPECT_TRUE(producer.out.detach(LinkId("l1")));
  EXPECT_FALSE(producer.out.detach(LinkId("l1")));
  producer.out.push(frame(8));
  EXPECT_EQ(producer.out.plug_discards(), 1u);
  EXPECT_TRUE(consumer.in.detach(LinkId("l1")));
  EXPECT_FALSE(consumer.in.is_connected());
  EXPECT_EQ(consumer.in.read(), std::nullopt);
}

TEST(PortsTest, PeekShowsTheNextMessageWithoutTakingIt) {
  TestRelay producer;
  TestRelay consumer;
  EXPECT_EQ(consumer.in.peek(), std::nullopt);  // unplugged
  auto ch = channel_from(producer.out, "l1");
  ASSERT_TRUE(producer.out.attach(LinkId("l1"), ch));
  ASSERT_TRUE(consumer.in.attach(LinkId("l1"), ch));
  EXPECT_EQ(consumer.in.peek(), std::nullopt);  // empty
  producer.out.push(frame(1));
  producer.out.push(frame(2));
  ASSERT_TRUE(consumer.in.peek().has_value());
  EXPECT_EQ(consumer.in.peek()->frame_number(), 1u);
  EXPECT_EQ(consumer.in.peek()->frame_number(), 1u);  // still there
  EXPECT_EQ(consumer.in.read()->frame_number(), 1u);
  EXPECT_EQ(consumer.in.peek()->frame_number(), 2u);
  EXPECT_EQ(consumer.in.read()->frame_number(), 2u);
  EXPECT_EQ(consumer.in.peek(), std::nullopt);
  EXPECT_EQ(ch->stats().delivered, 2u);  // peeking counts nothing
}

TEST(PortsTest, EndOfStreamArrivesAfterTheDataPushedBeforeIt) {
  TestRelay producer;
  TestRelay consumer;
  auto ch = channel_from(producer.out, "l1");
  ASSERT_TRUE(producer.out.attach(LinkId("l1"), ch));
  ASSERT_TRUE(consumer.in.attach(LinkId("l1"), ch));
  producer.out.push(frame(1));
  producer.out.end_stream();
  EXPECT_TRUE(producer.out.ended());
  EXPECT_FALSE(consumer.in.ended());  // frame 1 is still unread
  EXPECT_EQ(consumer.in.read()->frame_number(), 1u);
  EXPECT_TRUE(consumer.in.ended());
  EXPECT_EQ(consumer.in.read(), std::nullopt);
}

TEST(PortsTest, FanOutDeliversTheSameFrameToEveryLinkWithoutCopying) {
  TestRelay producer;
  TestMerge a;
  TestRelay b;
  auto ch1 = channel_from(producer.out, "l1");
  auto ch2 = channel_from(producer.out, "l2");
  ASSERT_TRUE(producer.out.attach(LinkId("l1"), ch1));
  ASSERT_TRUE(producer.out.attach(LinkId("l2"), ch2));
  ASSERT_TRUE(a.a.attach(LinkId("l1"), ch1));
  ASSERT_TRUE(b.in.attach(LinkId("l2"), ch2));
  EXPECT_EQ(producer.out.link_count(), 2u);
  const DataFrame sent = frame(3);
  producer.out.push(sent);
  auto x = a.a.read();
  auto y = b.in.read();
  ASSERT_TRUE(x && y);
  EXPECT_EQ(x->buffer_id(), sent.buffer_id());
  EXPECT_EQ(y->buffer_id(), sent.buffer_id());
}

TEST(PortsTest, AnInputTakesOneLink) {
  TestRelay p1;
  TestRelay p2;
  TestRelay consumer;
  ASSERT_TRUE(consumer.in.attach(LinkId("l1"), channel_from(p1.out, "l1")));
  auto second = consumer.in.attach(LinkId("l2"), channel_from(p2.out, "l2"));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_THAT(second.error().message(), HasSubstr("input 'in' already has link 'l1'"));
}

TEST(PortsTest, AttachChecksTheMessageType) {
  testing::TestVideoSource video;
  TestRelay data;
  auto video_channel = channel_from(video.video, "v");
  auto r = data.in.attach(LinkId("v"), video_channel);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kTypeMismatch);
  EXPECT_THAT(r.error().message(), HasSubstr("input 'in' takes DataFrame, link 'v' carries VideoFrame"));
  auto o = data.out.attach(LinkId("v"), video_channel);
  ASSERT_FALSE(o);
  EXPECT_THAT(o.error().message(), HasSubstr("output 'out' carries DataFrame, link 'v' carries VideoFrame"));
}

TEST(PortsTest, AnyFrameInputReadsWhateverFrameTheLinkCarries) {
  testing::TestVideoSource video;
  Counter counter;
  auto ch = channel_from(video.video, "v");
  ASSERT_TRUE(video.video.attach(LinkId("v"), ch));
  ASSERT_TRUE(counter.in.attach(LinkId("v"), ch));
  WritableVideoFrame w(4, 4, PixelFormat::kRgba);
  w.set_frame_number(9);
  video.video.push(std::move(w).freeze());
  auto f = counter.in.read();
  ASSERT_TRUE(f);
  ASSERT_NE(f->video(), nullptr);
  EXPECT_EQ(f->frame_number(), 9u);
}

TEST(PortsTest, ProcessorsListTheirPortsInDeclarationOrder) {
  TestMerge m;
  ASSERT_EQ(m.inputs().size(), 2u);
  EXPECT_EQ(m.inputs()[0]->name(), "a");
  EXPECT_EQ(m.inputs()[1]->name(), "b");
  EXPECT_EQ(m.find_input("b"), &m.b);
  EXPECT_EQ(m.find_output("out"), &m.out);
  EXPECT_EQ(m.find_input("out"), nullptr);
}

}  // namespace
}  // namespace streamlib
