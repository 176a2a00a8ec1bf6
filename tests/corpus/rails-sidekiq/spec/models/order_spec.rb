require "rails_helper"

RSpec.describe Order, type: :model do
  it "sums line items into total_cents" do
    order = Order.create!(email: "ada@example.com", number: "A1B2C3")
    order.line_items.create!(sku: "MUG", quantity: 2, unit_price_cents: 750)
    order.line_items.create!(sku: "TEE", quantity: 1, unit_price_cents: 1900)
    expect(order.total_cents).to eq(3400)
  end

  it "requires an email" do
    expect(Order.new(number: "X1")).not_to be_valid
  end

  it "enqueues the confirmation when it becomes paid" do
    order = Order.create!(email: "bob@example.com", number: "D4E5F6")
    expect { order.paid! }.to have_enqueued_job(OrderConfirmationJob).with(order.id)
  end
end
